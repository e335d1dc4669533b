/**
 * Every server a test starts is tracked here, so stopAll() can stop whatever a test file left running,
 * and leftover redis-server children are SIGKILLed when this process ends: an orphaned server would
 * outlive vitest and keep its port and temp dir.
 */
export interface Tracked {
  stop(): Promise<void>;
  /** Synchronous last resort, run while the process ends, where nothing async can happen. */
  killNow(): void;
}

const tracked = new Set<Tracked>();
let hooksInstalled = false;

export function track(resource: Tracked): void {
  if (!hooksInstalled) installExitHooks();
  tracked.add(resource);
}

export function untrack(resource: Tracked): void {
  tracked.delete(resource);
}

/** Stops every server and cluster still running. Use in afterAll. */
export async function stopAll(): Promise<void> {
  const results = await Promise.allSettled([...tracked].map((resource) => resource.stop()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}

function killAllNow(): void {
  for (const resource of tracked) resource.killNow();
  tracked.clear();
}

/**
 * 'exit' covers a normal end. Vitest ends its fork workers with SIGTERM (SIGKILL 500 ms later), and
 * Ctrl-C sends SIGINT; a signal's default action ends the process without 'exit', so we also listen
 * for those, clean up, and re-raise the signal so the process still dies the way it would have.
 * Only a SIGKILL of this process can still leak servers.
 */
function installExitHooks(): void {
  hooksInstalled = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      // Someone else handles this signal: leave the decision to end the process to them.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
