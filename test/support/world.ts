/**
 * Which world the tests run in. 'containers' when a Docker engine answers and holds the image of the default engine
 * (Redis 7.0) that scripts/test-world.sh builds; otherwise 'processes' (local server processes).
 * MIGRATE_TEST_WORLD=processes|containers forces one (global-setup.ts sets it for vitest's workers, so a run decides
 * once).
 */
import { docker, imageExists, testcontainers } from './docker.js';
import { engineImage } from './engine-image.js';
import { DEFAULT_ENGINE } from './engines.js';

export type TestWorld = 'containers' | 'processes';

const PROBE_TIMEOUT_MS = 2_500;
// A run told to use containers waits longer for a busy engine rather than fail.
const FORCED_PROBE_TIMEOUT_MS = 30_000;
let world: Promise<TestWorld> | undefined;

export function testWorld(): Promise<TestWorld> {
  world ??= detect().then(({ chosen, reason }) => {
    // Inside a vitest run, global-setup.ts has said it once already.
    if (process.env.MIGRATE_TEST_RUN === undefined) announce(chosen, reason);
    return chosen;
  });
  return world;
}

export function announce(chosen: TestWorld, reason: string): void {
  console.info(`[test/support] test world: ${chosen} (${reason})`);
}

export async function detect(): Promise<{ chosen: TestWorld; reason: string }> {
  const forced = process.env.MIGRATE_TEST_WORLD;
  if (forced === 'processes') return { chosen: 'processes', reason: 'forced by MIGRATE_TEST_WORLD' };
  if (forced !== undefined && forced !== '' && forced !== 'containers') {
    throw new Error(`MIGRATE_TEST_WORLD must be 'processes' or 'containers', not '${forced}'`);
  }
  await testcontainers(); // its import is slow on a busy machine, and is not what the timeout is for
  const timeoutMs = forced ? FORCED_PROBE_TIMEOUT_MS : PROBE_TIMEOUT_MS;
  const missing = await withTimeout(whatContainersLack(), timeoutMs).catch(
    (error: Error) => `no Docker engine: ${error.message}`,
  );
  if (missing === undefined) {
    return { chosen: 'containers', reason: `a Docker engine answered, with ${engineImage(DEFAULT_ENGINE)}` };
  }
  if (forced) throw new Error(`MIGRATE_TEST_WORLD=containers, but ${missing}`);
  return { chosen: 'processes', reason: missing };
}

/** Undefined when the container world can run, else why not. */
async function whatContainersLack(): Promise<string | undefined> {
  await docker();
  const image = engineImage(DEFAULT_ENGINE);
  if (await imageExists(image)) return undefined;
  return `a Docker engine answered, without the image ${image} (scripts/test-world.sh builds it)`;
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
