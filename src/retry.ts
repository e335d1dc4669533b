import { MigrateError, messageOf } from './errors.js';

/** Waits `ms`, or less when the signal aborts (a stopped run does not sit out its delays). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Tries of one batch before its trouble counts: a reset connection, a timeout or a failover passes in time. */
const batchAttempts = 3;

/** A server's ERR answer (a refused script, an unknown command): the same on every try, and no connection fault. */
export const isErrReply = (error: unknown): boolean => /^ERR\b/.test(messageOf(error));

/**
 * Runs an idempotent batch step, again after 0.5 s and 1 s when it throws. What another try cannot change is
 * rethrown at once (a MigrateError, an ERR reply); the last error is rethrown when the tries run out or the run
 * has stopped.
 */
export async function retryBatch<T>(
  step: () => Promise<T>,
  stopped: () => boolean,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (error instanceof MigrateError || isErrReply(error) || attempt >= batchAttempts || stopped())
        throw error;
      await sleep(250 * 2 ** attempt, signal);
    }
  }
}
