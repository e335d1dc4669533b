import type { BatchContext, BatchCopier } from '../keys/batch-context.js';
import { copyDumpBatch } from '../keys/dump-batch.js';
import { maxChunkSize } from '../keys/options.js';
import { targetAcceptsDumps } from '../keys/preflight.js';
import { copyStructBatch } from '../keys/struct-batch.js';

/** A key whose copy wrote at least this many bytes is big: from then on it is copied in the big-key lane. */
export const bigKeyBytes = 16 * 1024;
/** Bytes (by their last copy) one big-key copy takes at most: a huge key goes alone, medium ones together. */
export const bigBatchBytes = 1024 * 1024;
/** Big keys remembered at most (the oldest is forgotten first): bounded memory, docs/invariants.md #1. */
const maxRemembered = 10_000;

/** The keys sync has seen to be big, by latin1 id, with the bytes their last copy wrote. */
export class BigKeys {
  private readonly sizes = new Map<string, number>();

  bytes(id: string): number | undefined {
    return this.sizes.get(id);
  }

  /** Records a copy of `bytes`; a key stays big once seen big (a DUMP payload may be compressed below the mark). */
  note(key: Buffer, bytes: number): void {
    if (bytes < bigKeyBytes) return;
    const id = key.toString('latin1');
    if (!this.sizes.has(id) && this.sizes.size >= maxRemembered)
      this.sizes.delete(this.sizes.keys().next().value!);
    this.sizes.set(id, bytes);
  }
}

/**
 * Copies big keys with one command per key on each side, DUMP then RESTORE … ABSTTL REPLACE, when the target
 * accepts the source's payloads (probed once, as copy's auto mode does; never for Upstash, whose payloads
 * ElastiCache refuses); otherwise in the largest chunks a request allows. A hot key is re-copied after every burst
 * of changes, so the copy's time is its lag: hundreds of chunk round trips become two commands.
 */
export function bigKeyCopier(context: BatchContext): BatchCopier {
  const chunked: BatchContext = { ...context, options: { ...context.options, chunkSize: maxChunkSize } };
  let dumps: Promise<boolean> | undefined;
  return async (_context, node, keys, tally) => {
    const sample = keys[0];
    if (sample === undefined) return;
    dumps ??= context.source.upstash
      ? Promise.resolve(false)
      : targetAcceptsDumps(context.source, context.target, sample);
    const accepted = await dumps.catch((error: unknown) => {
      dumps = undefined; // an end was unreachable: probe again next time
      throw error;
    });
    await (accepted
      ? copyDumpBatch(context, node, keys, tally)
      : copyStructBatch(chunked, node, keys, tally));
  };
}
