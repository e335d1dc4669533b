import { keyRulesOf, keyRulesRefusal, learnBySlot } from '../redis/key-rules.js';
import type { Command, RedisPort, Reply } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import { declaredScriptCommand, execScripts, scriptCommand } from '../redis/script-runner.js';
import { writeStampedBatchScript, writeStampedScript } from '../redis/scripts.js';
import { stampKeyFor } from '../redis/slot.js';
import type { ConflictPolicy } from './options.js';
import { type KeyWrite, maxCallBytes, packWrites } from './write-batch.js';

/**
 * Stamped writes. Two copiers of one key can interleave (two app instances mirroring one counter, a mirror and a
 * sync re-copy): X reads v1, Y reads v2 and writes v2, X writes v1, and the secondary stays stale with nothing left
 * to fix it. So a copy that may run beside another copier carries a stamp, the primary's clock at its read (TIME in
 * the read script, microseconds), and the write refuses to replace a key whose recorded stamp is newer. Stamps are
 * kept per slot in `__migrate:stamp:{tag}` (two declared keys of one slot: ElastiCache Serverless's rules), and
 * only need to outlive a race, so the hash expires a few minutes after its slot's last stamped write.
 */
export const stampTtlMs = 5 * 60_000;

/** A read's stamp in a batch reply, or undefined when the reply carries none. */
export function stampAt(flat: readonly Reply[], index: number): number | undefined {
  const value = flat[index];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Keys per stamped batch call: two declared keys each, far below the 3,999 arguments a request may carry. */
const keysPerCall = 1000;

/**
 * Writes keys, refusing copies older than the one held. Replies: 'stale' (refused), 'deleted' (a write of type
 * 'none'), or what the unstamped write answers. The calls follow the target's key rules (src/redis/key-rules.ts): a
 * standalone server takes many keys per call, undeclared, packed in one argument with their stamp hashes (the
 * client's cost per command, and per argument, dominates otherwise); a target that wants each call's keys declared
 * and in one slot (ElastiCache Serverless) gets one call per slot, each key declared with its stamp hash; a
 * node-based cluster, one declared call per key. A standalone server that refuses keys of several slots, or
 * undeclared keys, in one call is switched to calls per slot, and the writes are resent.
 */
export async function writeStamped(
  target: RedisPort,
  writes: readonly KeyWrite[],
  policy: ConflictPolicy,
  stamp: number,
): Promise<Reply[]> {
  const bySlot = keyRulesOf(target) === 'by-slot';
  if (writes.length < 2 || (target.topology !== 'standalone' && !bySlot)) {
    return writeEach(target, writes, policy, stamp);
  }
  const groups = bySlot
    ? callGroups(
        target,
        writes.map((write) => write.key),
      ).map(({ indexes }) => indexes)
    : [writes.map((_, i) => i)];
  const calls = groups.flatMap((indexes) => batches(writes, indexes));
  const replies = await execScripts(
    target,
    calls.map((call) => batchCommand(writes, call, policy, stamp, bySlot)),
    [writeStampedBatchScript],
  );
  const refusal = (reply: Reply | undefined) => reply instanceof Error && keyRulesRefusal(reply);
  if (!bySlot && replies.some((reply) => refusal(reply) || (Array.isArray(reply) && reply.some(refusal)))) {
    learnBySlot(target);
    return writeStamped(target, writes, policy, stamp);
  }
  const out: Reply[] = new Array(writes.length);
  calls.forEach((call, c) => {
    const reply = replies[c];
    call.forEach((index, j) => {
      out[index] = Array.isArray(reply) ? (reply[j] ?? null) : (reply ?? null);
    });
  });
  return out;
}

function writeEach(
  target: RedisPort,
  writes: readonly KeyWrite[],
  policy: ConflictPolicy,
  stamp: number,
): Promise<Reply[]> {
  return execScripts(
    target,
    writes.map(({ key, type, expireAt, payload }) =>
      declaredScriptCommand(
        writeStampedScript,
        [key, stampKeyFor(key)],
        [type, expireAt, policy, String(stamp), stampTtlMs, ...payload],
      ),
    ),
    [writeStampedScript],
  );
}

/** The writes at `indexes` in calls of at most keysPerCall keys and maxCallBytes payload bytes. */
function batches(writes: readonly KeyWrite[], indexes: readonly number[]): number[][] {
  const calls: number[][] = [];
  let call: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    const size = writes[index]!.bytes;
    if (call.length > 0 && (call.length >= keysPerCall || bytes + size > maxCallBytes)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(index);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/** One stamped batch call: its keys declared where the target wants them (one slot), else undeclared. */
const batchCommand = (
  writes: readonly KeyWrite[],
  call: readonly number[],
  policy: ConflictPolicy,
  stamp: number,
  declare: boolean,
): Command => {
  const members = call.map((index) => writes[index]!);
  const args = [policy, String(stamp), stampTtlMs, packWrites(members, true)];
  return declare
    ? declaredScriptCommand(
        writeStampedBatchScript,
        members.flatMap((write) => [write.key, stampKeyFor(write.key)]),
        args,
      )
    : { ...scriptCommand(writeStampedBatchScript, undefined, args), key: members[0]!.key };
};
