/**
 * Real servers for integration tests. In the 'containers' world (a Docker engine answers, with the images of
 * scripts/test-world.sh) servers and cluster nodes are containers on the host's network; otherwise they are local
 * redis-server processes. Both listen on free ports of 127.0.0.1. Call stopAll() in afterAll.
 */
import { startContainerCluster, startProcessCluster } from './cluster.js';
import { BASE_ENGINE } from './engine-image.js';
import { findExecutable, requireExecutable } from './executables.js';
import { inContainer, startContainerEngine } from './redis-container.js';
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

/** Redis 7.0 (Debian's) in a container, or the local redis-server. */
export async function startRedis(opts: StartOptions = {}): Promise<TestServer> {
  if ((await testWorld()) === 'containers') return startContainerEngine(BASE_ENGINE, opts.args);
  return startProcessServer({ binary: requireExecutable('redis-server'), engine: 'redis', args: opts.args });
}

/**
 * Valkey 8.1 in a container where its image was built. Otherwise a local valkey-server if installed, else
 * redis-server stands in (Valkey forked Redis 7.2 and answers the same commands this tool uses); `engine` says
 * which one actually ran.
 */
export async function startValkey(opts: StartOptions = {}): Promise<TestServer> {
  if (await inContainer('valkey-8.1')) return startContainerEngine('valkey-8.1', opts.args);
  const valkey = findExecutable('valkey-server');
  if (valkey) return startProcessServer({ binary: valkey, engine: 'valkey', args: opts.args });
  return startProcessServer({ binary: requireExecutable('redis-server'), engine: 'redis', args: opts.args });
}

/** A 3-master cluster of Redis 7.0 containers, or of local redis-server processes; all slots assigned. */
export async function startCluster(): Promise<TestCluster> {
  if ((await testWorld()) === 'containers') return startContainerCluster(BASE_ENGINE);
  return startProcessCluster(requireExecutable('redis-server'), requireExecutable('redis-cli'));
}
