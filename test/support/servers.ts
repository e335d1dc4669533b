/**
 * Real servers for integration tests, of any engine in engines.ts (Redis 7.0 by default). In the 'containers' world (a
 * Docker engine answers, with the images of scripts/test-world.sh) servers and cluster nodes are containers on the
 * host's network; otherwise they are local server processes (placement.ts says which, per engine). Both listen on free
 * ports of 127.0.0.1. Call stopAll() in afterAll.
 */
import { startContainerCluster, startProcessCluster } from './cluster.js';
import { type EngineName, requireEngine } from './engines.js';
import { placeEngine } from './placement.js';
import { startContainerEngine } from './redis-container.js';
import { startProcessServer } from './redis-process.js';
import type { TestCluster, TestServer } from './types.js';

export { combineDigests, type DigestTarget, digest, expiries, flushAll, xorHex } from './digest.js';
export {
  type EngineName,
  engineBinaries,
  engineMatrix,
  hasEngine,
  type RunningEngine,
  testEngines,
} from './engines.js';
export { stopAll } from './registry.js';
export type { TestCluster, TestServer } from './types.js';
export { type TestWorld, testWorld } from './world.js';

export interface StartOptions {
  /** The engine to run (default redis-7.0); one that is not built falls back to redis-7.0, as testEngines() says. */
  engine?: EngineName;
  /** Extra server arguments, e.g. ['--requirepass', 'secret'] or ['--maxmemory', '10mb']. */
  args?: string[];
}

/** One server of the wanted engine (or its announced fallback); `server.engine` tells which one runs. */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const { engine, container } = await placeEngine(opts.engine);
  if (container) return startContainerEngine(engine, opts.args);
  return startProcessServer({ engine, binary: requireEngine(engine).server, args: opts.args });
}

/** A 3-master cluster of one engine (or its announced fallback), placed like startServer; all slots assigned. */
export async function startCluster(opts: Pick<StartOptions, 'engine'> = {}): Promise<TestCluster> {
  const { engine, container } = await placeEngine(opts.engine);
  if (container) return startContainerCluster(engine);
  return startProcessCluster(engine, requireEngine(engine));
}

/** Redis 7.0. */
export const startRedis = (opts: Omit<StartOptions, 'engine'> = {}): Promise<TestServer> => startServer(opts);

/** Valkey 8.1 (or, when it is not built, the announced fallback). */
export const startValkey = (opts: Omit<StartOptions, 'engine'> = {}): Promise<TestServer> =>
  startServer({ ...opts, engine: 'valkey-8.1' });
