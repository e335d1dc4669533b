/**
 * Which world the tests run in. 'containers' only when a Docker engine really answers; otherwise
 * 'processes' (local redis-server). MIGRATE_TEST_WORLD=processes|containers forces one.
 */
export type TestWorld = 'containers' | 'processes';

const PROBE_TIMEOUT_MS = 2_500;
let world: Promise<TestWorld> | undefined;

export function testWorld(): Promise<TestWorld> {
  world ??= detect().then(({ chosen, reason }) => {
    console.info(`[test/support] test world: ${chosen} (${reason})`);
    return chosen;
  });
  return world;
}

async function detect(): Promise<{ chosen: TestWorld; reason: string }> {
  const forced = process.env.MIGRATE_TEST_WORLD;
  if (forced === 'processes') return { chosen: 'processes', reason: 'forced by MIGRATE_TEST_WORLD' };
  if (forced !== undefined && forced !== '' && forced !== 'containers') {
    throw new Error(`MIGRATE_TEST_WORLD must be 'processes' or 'containers', not '${forced}'`);
  }
  try {
    await probeDocker();
    return { chosen: 'containers', reason: 'a Docker engine answered' };
  } catch (error) {
    if (forced === 'containers')
      throw new Error('MIGRATE_TEST_WORLD=containers but no Docker engine', { cause: error });
    return { chosen: 'processes', reason: `no Docker engine: ${(error as Error).message}` };
  }
}

/** Resolves if testcontainers finds a working container runtime within the timeout. */
async function probeDocker(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    const probe = import('testcontainers').then((tc) => tc.getContainerRuntimeClient());
    await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
