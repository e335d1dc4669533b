/**
 * Every server a test starts is tracked here, so stopAll() can stop whatever a test file left running
 * and a process 'exit' hook can SIGKILL leftover redis-server children: an orphaned server would
 * otherwise outlive vitest and keep its port and temp dir.
 */
export interface Tracked {
  stop(): Promise<void>;
  /** Synchronous last resort, run from the 'exit' hook where nothing async can happen. */
  killNow(): void;
}

const tracked = new Set<Tracked>();
let exitHookInstalled = false;

export function track(resource: Tracked): void {
  if (!exitHookInstalled) {
    process.once('exit', () => {
      for (const resource of tracked) resource.killNow();
    });
    exitHookInstalled = true;
  }
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
