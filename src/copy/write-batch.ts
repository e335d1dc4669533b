import type { Arg, Command, RedisPort, Reply } from '../redis/port.js';
import { indexesByNode } from '../redis/routing.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { writeBatchScript, writeKeyScript } from '../redis/scripts.js';
import { releaseReply } from './batch-steps.js';
import type { ConflictPolicy } from './options.js';
import { writeStamped } from './stamp.js';

/** One key to write: a struct payload (the write script's) or, with type 'restore', a DUMP payload. */
export interface KeyWrite {
  key: Buffer;
  /** A type name as TYPE answers it, or 'restore'. */
  type: string;
  /** Absolute expiry in ms; 0 = none. */
  expireAt: number;
  payload: Arg[];
  /** Payload bytes, as the summary counts them. */
  bytes: number;
}

export const payloadBytes = (payload: Arg[]): number => {
  let bytes = 0;
  for (const arg of payload) bytes += Buffer.isBuffer(arg) ? arg.length : String(arg).length;
  return bytes;
};

/**
 * Payload bytes one call carries at most. Once a script has written, the server lets it finish past maxmemory,
 * so this bounds how far a call can overshoot a full target before the next call is refused with OOM.
 */
export const maxCallBytes = 512 * 1024;

/** Targets that refused a cross-slot script write: they get one script call per key for the rest of the run. */
const perKeyTargets = new WeakSet<RedisPort>();
export const slotRefusal = /non local key|do not hash to the same slot|CROSSSLOT/i;

/**
 * Writes keys to the target, each atomically: one write-script call per node carries many keys, packed into one
 * argument, which costs the client and both ends far less than a command per key. Returns one reply
 * per write, in order. A node that will not let one script touch keys of several slots (ElastiCache Serverless,
 * a slot moving mid-run) gets its keys resent one script call each. With a `stamp` (src/copy/stamp.ts), each key is
 * written by its own call that refuses to replace a newer copy.
 */
export async function writeKeys(
  target: RedisPort,
  writes: KeyWrite[],
  policy: ConflictPolicy,
  stamp?: number,
): Promise<Reply[]> {
  if (writes.length === 0) return [];
  if (stamp !== undefined) return writeStamped(target, writes, policy, stamp);
  if (perKeyTargets.has(target)) return writeEach(target, writes, policy);
  const calls = packCalls(target, writes, policy);
  const replies = await execScripts(
    target,
    calls.map((call) => call.command),
    [writeBatchScript],
  );
  const out: Reply[] = new Array(writes.length);
  const refused: number[] = [];
  calls.forEach((call, c) => {
    const reply = replies[c];
    call.indexes.forEach((index, j) => {
      const one = Array.isArray(reply) ? (reply[j] ?? null) : (reply ?? null);
      if (one instanceof Error && slotRefusal.test(one.message)) refused.push(index);
      else out[index] = one;
    });
    if (Array.isArray(reply)) releaseReply(reply);
  });
  if (refused.length > 0) {
    perKeyTargets.add(target);
    const resent = await writeEach(
      target,
      refused.map((i) => writes[i]!),
      policy,
    );
    refused.forEach((index, j) => {
      out[index] = resent[j] ?? null;
    });
  }
  return out;
}

/** Groups writes by owning node and packs each group into script calls of at most maxCallBytes. */
function packCalls(
  target: RedisPort,
  writes: KeyWrite[],
  policy: ConflictPolicy,
): Array<{ command: Command; indexes: number[] }> {
  const calls: Array<{ command: Command; indexes: number[] }> = [];
  const byNode = indexesByNode(
    target,
    writes.map((write) => write.key),
  );
  for (const indexes of byNode.values()) {
    let members: number[] = [];
    let bytes = 0;
    const flush = () => {
      const blob = packWrites(members.map((index) => writes[index]!));
      // Routed by its first key to the node that owns every key of the call; no key is declared (numkeys 0).
      const command = scriptCommand(writeBatchScript, undefined, [policy, blob]);
      calls.push({ command: { ...command, key: writes[members[0]!]!.key }, indexes: members });
      members = [];
      bytes = 0;
    };
    for (const index of indexes) {
      const size = writes[index]!.bytes;
      if (members.length > 0 && bytes + size > maxCallBytes) flush();
      members.push(index);
      bytes += size;
    }
    flush();
  }
  return calls;
}

/**
 * Writes as the batch write script unpacks them: for each, key, type, expireAtMs, payload length n and payload×n,
 * every field a 4-byte big-endian length, then its bytes. Written straight into one buffer sized first, with no
 * array of all the fields in between: this runs for every field of every key.
 */
export function packWrites(writes: readonly KeyWrite[]): Buffer {
  let size = 0;
  for (const { key, type, expireAt, payload } of writes) {
    size += fieldBytes(key) + fieldBytes(type) + fieldBytes(expireAt) + fieldBytes(payload.length);
    for (const arg of payload) size += fieldBytes(arg);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const put = (field: Arg) => {
    if (Buffer.isBuffer(field)) {
      out.writeUInt32BE(field.length, at);
      out.set(field, at + 4);
      at += 4 + field.length;
    } else {
      const length = out.write(String(field), at + 4);
      out.writeUInt32BE(length, at);
      at += 4 + length;
    }
  };
  for (const { key, type, expireAt, payload } of writes) {
    put(key);
    put(type);
    put(expireAt);
    put(payload.length);
    for (const arg of payload) put(arg);
  }
  return out;
}

const fieldBytes = (field: Arg): number =>
  4 + (Buffer.isBuffer(field) ? field.length : Buffer.byteLength(String(field)));

/** One write-script call per key. */
function writeEach(target: RedisPort, writes: KeyWrite[], policy: ConflictPolicy): Promise<Reply[]> {
  return execScripts(
    target,
    writes.map(({ key, type, expireAt, payload }) =>
      scriptCommand(writeKeyScript, key, [type, expireAt, policy, ...payload]),
    ),
    [writeKeyScript],
  );
}
