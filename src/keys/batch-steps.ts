import { cmd, type Reply } from '../redis/port.js';
import type { BatchContext } from './batch-context.js';
import { failureReason, writeOutcome } from './outcome.js';
import { stampAt, writeStamped } from './stamp.js';
import type { Tally } from './tally.js';

/** Steps both batch copiers (struct and dump) share. */

/** The batch read failed as a whole: every key is scanned and failed with the source's reason (unless fatal). */
export function failWholeBatch(context: BatchContext, keys: Buffer[], error: Error, tally: Tally): void {
  context.stopIfFatal(error, 'source');
  tally.counts.scanned += keys.length;
  for (const key of keys)
    tally.add(key, { kind: 'failed', reason: `source read failed: ${failureReason(error)}` });
}

/**
 * Keys gone from the source (deleted, or expired by the time they were read) must not survive on the target
 * (docs/invariants.md #2), unless the conflict policy keeps what the target holds. A delete the target refused is a failure,
 * not an expiry: a stale key would otherwise stay for good. A stamped delete leaves a newer copy in place.
 */
export async function deleteGone(
  context: BatchContext,
  keys: Buffer[],
  tally: Tally,
  stamp?: number,
): Promise<void> {
  if (keys.length === 0) return;
  const replace = context.options.onConflict === 'replace';
  const deletes = keys.map((key) => ({ key, type: 'none', expireAt: 0, payload: [], bytes: 0 }));
  const replies = !replace
    ? []
    : stamp === undefined
      ? await context.target.exec(keys.map((key) => cmd('DEL', [key], key)))
      : await writeStamped(context.target, deletes, 'replace', stamp);
  keys.forEach((key, i) => {
    const reply = replies[i];
    if (reply instanceof Error) context.stopIfFatal(reply, 'target');
    tally.add(
      key,
      reply instanceof Error
        ? { kind: 'failed', reason: `target delete failed: ${failureReason(reply)}` }
        : { kind: 'expired' },
    );
  });
}

/**
 * Empties a batch's reply array once what it holds has been taken out. A big reply is often already in V8's old
 * generation (it arrives over several socket reads), and an old array, dead or not, keeps every young value it
 * points to alive through each scavenge until the next full GC: emptying the read and write replies more than
 * halved a struct copy's GC time.
 */
export function releaseReply(reply: Reply[]): void {
  reply.length = 0;
}

/** Tallies the target's replies to the writes of a batch, stopping the run on a fatal one. */
export function tallyWrites(
  context: BatchContext,
  replies: Reply[],
  written: ReadonlyArray<{ key: Buffer; bytes: number }>,
  tally: Tally,
): void {
  const policy = context.options.onConflict;
  replies.forEach((reply, i) => {
    if (reply instanceof Error) context.stopIfFatal(reply, 'target');
    const { key, bytes } = written[i]!;
    tally.add(key, writeOutcome(reply, policy, bytes));
  });
}

/**
 * The batch read's stamp when the context stamps its writes (src/keys/stamp.ts), else undefined. A stamped batch
 * whose read carried no stamp fails as a whole (null): an unstamped write could overwrite a newer copy.
 */
export function batchStamp(
  context: BatchContext,
  flat: readonly Reply[],
  index: number,
  keys: Buffer[],
  tally: Tally,
): number | undefined | null {
  if (!context.stamped) return undefined;
  const stamp = stampAt(flat, index);
  if (stamp !== undefined) return stamp;
  failWholeBatch(context, keys, new Error('the batch read carried no stamp'), tally);
  return null;
}
