import type { Command, RedisPort, Reply } from '../redis/port.js';
import { execScripts, scriptCommandKeys } from '../redis/script-runner.js';
import { writeStampedBatchScript, writeStampedScript } from '../redis/scripts.js';
import { stampKeyFor } from '../redis/slot.js';
import type { ConflictPolicy } from './options.js';
import { type KeyWrite, maxCallBytes, packWrites, slotRefusal } from './write-batch.js';

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

/** Servers that refused a stamped batch (keys of several slots in one call): one call per key from then on. */
const perKeyTargets = new WeakSet<RedisPort>();

/**
 * Writes keys, refusing copies older than the one held. Replies: 'stale' (refused), 'deleted' (a write of type
 * 'none'), or what the unstamped write answers. Every key is declared with its stamp hash. A standalone server
 * takes many keys per call (the client's cost per command dominates otherwise: ~3× the CPU per key); a cluster,
 * or a server that refuses keys of several slots in one call (ElastiCache Serverless, whatever the client's mode),
 * gets one call per key, of one slot.
 */
export async function writeStamped(
  target: RedisPort,
  writes: readonly KeyWrite[],
  policy: ConflictPolicy,
  stamp: number,
): Promise<Reply[]> {
  if (writes.length < 2 || target.topology !== 'standalone' || perKeyTargets.has(target)) {
    return writeEach(target, writes, policy, stamp);
  }
  const calls = batches(writes);
  const replies = await execScripts(
    target,
    calls.map((call) => batchCommand(call, policy, stamp)),
    [writeStampedBatchScript],
  );
  if (replies.some((reply) => reply instanceof Error && slotRefusal.test(reply.message))) {
    perKeyTargets.add(target);
    return writeEach(target, writes, policy, stamp);
  }
  return calls.flatMap((call, c) => {
    const reply = replies[c];
    return call.map((_, j) => (Array.isArray(reply) ? (reply[j] ?? null) : (reply ?? null)));
  });
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
      scriptCommandKeys(
        writeStampedScript,
        [key, stampKeyFor(key)],
        [type, expireAt, policy, String(stamp), stampTtlMs, ...payload],
      ),
    ),
    [writeStampedScript],
  );
}

/** Writes in calls of at most keysPerCall keys and maxCallBytes payload bytes. */
function batches(writes: readonly KeyWrite[]): KeyWrite[][] {
  const calls: KeyWrite[][] = [];
  let call: KeyWrite[] = [];
  let bytes = 0;
  for (const write of writes) {
    if (call.length > 0 && (call.length >= keysPerCall || bytes + write.bytes > maxCallBytes)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(write);
    bytes += write.bytes;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

const batchCommand = (call: KeyWrite[], policy: ConflictPolicy, stamp: number): Command =>
  scriptCommandKeys(
    writeStampedBatchScript,
    call.flatMap((write) => [write.key, stampKeyFor(write.key)]),
    [policy, String(stamp), stampTtlMs, packWrites(call)],
  );
