/**
 * Real servers for integration tests, of any engine in engines.ts (Redis 7.0 by default). In the 'containers' world
 * (a Docker engine answers) standalone servers are testcontainers; otherwise they are local server processes on free
 * ports. The cluster is always made of local processes. Call stopAll() in afterAll.
 */
import { startProcessCluster } from './cluster.js';
import { DEFAULT_ENGINE, type EngineName, productOf, requireEngine, resolveEngine } from './engines.js';
import { startContainerServer } from './redis-container.js';
import { startProcessServer } from './redis-process.js';
import type { TestCluster, TestServer } from './types.js';
import { testWorld } from './world.js';

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

const IMAGES: Record<EngineName, string> = {
  'redis-7.0': 'redis:7.0',
  'valkey-8.1': 'valkey/valkey:8.1',
  'redis-8.0': 'redis:8.0',
};

/** One server of the wanted engine (or its announced fallback); `server.engine` tells which one runs. */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  if ((await testWorld()) === 'containers') {
    const name = opts.engine ?? DEFAULT_ENGINE;
    const image = IMAGES[name];
    const product = productOf(name);
    const engine = { name, product, version: image.split(':')[1]! };
    return startContainerServer({ image, binary: `${product}-server`, engine, args: opts.args });
  }
  const engine = resolveEngine(opts.engine);
  return startProcessServer({ engine, binary: requireEngine(engine).server, args: opts.args });
}

/** A 3-master cluster of local server processes of one engine (in both worlds), all slots assigned. */
export async function startCluster(opts: Pick<StartOptions, 'engine'> = {}): Promise<TestCluster> {
  await testWorld(); // says which world is in use, once, like the other entry points
  const engine = resolveEngine(opts.engine);
  return startProcessCluster(engine, requireEngine(engine));
}

/** Redis 7.0. */
export const startRedis = (opts: Omit<StartOptions, 'engine'> = {}): Promise<TestServer> => startServer(opts);

/** Valkey 8.1 (or, when it is not built, the announced fallback). */
export const startValkey = (opts: Omit<StartOptions, 'engine'> = {}): Promise<TestServer> =>
  startServer({ ...opts, engine: 'valkey-8.1' });
