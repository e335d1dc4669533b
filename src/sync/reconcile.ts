import { scanPages } from '../keys/scanner.js';
import { asNumber, cmd, type RedisPort } from '../redis/port.js';

export interface ReconcileSink {
  /** Marks a key for a re-copy from the source's current state (which deletes it on the target when gone). */
  mark(key: Buffer): void;
  /** Resolves when there is room for more keys (bounded memory: docs/invariants.md #1). */
  room(): Promise<void>;
  signal: AbortSignal;
}

/** Every matching source key: a rescan that re-copies whatever a gap in the change feed may have missed. */
export async function rescanSource(source: RedisPort, match: string, sink: ReconcileSink): Promise<number> {
  let marked = 0;
  for await (const page of scanPages(source, { match, count: 1000, signal: sink.signal })) {
    for (const key of page.keys) sink.mark(key);
    marked += page.keys.length;
    await sink.room();
  }
  return marked;
}

/**
 * Target keys the source no longer holds (deleted while nobody listened): marked for a re-copy, which deletes them.
 * One EXISTS per target key, batched, is cheaper than re-copying the whole target again.
 */
export async function findTargetOrphans(
  source: RedisPort,
  target: RedisPort,
  match: string,
  sink: ReconcileSink,
): Promise<number> {
  let marked = 0;
  for await (const page of scanPages(target, { match, count: 1000, signal: sink.signal })) {
    if (page.keys.length === 0) continue;
    const replies = await source.exec(page.keys.map((key) => cmd('EXISTS', [key], key)));
    page.keys.forEach((key, i) => {
      if (asNumber(replies[i]) === 0) {
        sink.mark(key);
        marked++;
      }
    });
    await sink.room();
  }
  return marked;
}
