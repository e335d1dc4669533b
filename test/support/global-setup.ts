/**
 * Once per vitest run, in the main process: decide the world and say so (the run's first line), remove containers
 * that runs killed before their clean-up left behind, and at the end remove any container of this run still there
 * (a worker that crashed or timed out could not stop its own).
 */
import { hostname } from 'node:os';
import { isDeadRun, removeContainers } from './docker.js';
import { announce, detect } from './world.js';

export async function setup(): Promise<() => Promise<void>> {
  const { chosen, reason } = await detect();
  announce(chosen, reason);
  // Workers inherit these: they use the world decided here, and label their containers with this run.
  process.env.MIGRATE_TEST_WORLD = chosen;
  const run = `${hostname()}:${process.pid}`;
  process.env.MIGRATE_TEST_RUN = run;
  if (chosen === 'processes') return async () => {};
  const stale = await removeContainers(isDeadRun);
  if (stale > 0) console.info(`[test/support] removed ${stale} container(s) left by an interrupted run`);
  return async () => {
    const left = await removeContainers((owner) => owner === run);
    if (left > 0) console.info(`[test/support] removed ${left} container(s) this run left running`);
  };
}
