/**
 * Real servers for integration tests. In the 'containers' world (a Docker engine answers) standalone
 * servers are testcontainers; otherwise they are local redis-server processes on free ports. The
 * cluster is always made of local processes. Call stopAll() in afterAll.
 */
import { startProcessCluster } from './cluster.js';
import { findExecutable, requireExecutable } from './executables.js';
import { startContainerServer } from './redis-container.js';
import { startProcessServer } from './redis-process.js';
import type { TestCluster, TestServer } from './types.js';
import { testWorld } from './world.js';

export { combineDigests, type DigestTarget, digest, expiries, flushAll, xorHex } from './digest.js';
export { stopAll } from './registry.js';
export type { TestCluster, TestServer } from './types.js';
export { type TestWorld, testWorld } from './world.js';

export interface StartOptions {
  /** Extra server arguments, e.g. ['--requirepass', 'secret'] or ['--maxmemory', '10mb']. */
  args?: string[];
}

/** Redis 7.2 in a container, or the local redis-server. */
export async function startRedis(opts: StartOptions = {}): Promise<TestServer> {
  if ((await testWorld()) === 'containers') {
    return startContainerServer({
      image: 'redis:7.2',
      binary: 'redis-server',
      engine: 'redis',
      args: opts.args,
    });
  }
  return startProcessServer({ binary: requireExecutable('redis-server'), engine: 'redis', args: opts.args });
}

/**
 * Valkey 8 in a container. Without Docker: a local valkey-server if installed, else redis-server
 * stands in (Valkey forked Redis 7.2 and answers the same commands this tool uses); `engine` says
 * which one actually ran.
 */
export async function startValkey(opts: StartOptions = {}): Promise<TestServer> {
  if ((await testWorld()) === 'containers') {
    const options = {
      image: 'valkey/valkey:8',
      binary: 'valkey-server',
      engine: 'valkey',
      args: opts.args,
    } as const;
    return startContainerServer(options);
  }
  const valkey = findExecutable('valkey-server');
  if (valkey) return startProcessServer({ binary: valkey, engine: 'valkey', args: opts.args });
  return startProcessServer({ binary: requireExecutable('redis-server'), engine: 'redis', args: opts.args });
}

/** A 3-master cluster of local redis-server processes (in both worlds), all slots assigned. */
export async function startCluster(): Promise<TestCluster> {
  await testWorld(); // says which world is in use, once, like the other entry points
  return startProcessCluster(requireExecutable('redis-server'), requireExecutable('redis-cli'));
}
