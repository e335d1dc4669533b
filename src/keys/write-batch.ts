import { keyRulesOf, keyRulesRefusal, learnBySlot } from '../redis/key-rules.js';
import { type Arg, type Command, cmd, type RedisPort, type Reply } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import { declaredScriptCommand, execScripts, scriptCommand } from '../redis/script-runner.js';
import { writeBatchScript } from '../redis/scripts.js';
import { stampKeyBytesFor } from '../redis/slot.js';
import { redisType } from '../redis/types/index.js';
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

/** One call of a batch write: a script call for the keys at `indexes`, or a plain command for one key. */
interface WriteCall {
  command: Command;
  indexes: number[];
  /** A plain command: its reply is the key's, not an array of them. */
  plain: boolean;
}

/**
 * Writes keys to the target, each atomically, and returns one reply per write, in order. On most targets one
 * write-script call per node carries many keys, packed into one argument: far cheaper for the client and both ends
 * than a command per key. Where the target wants each call's keys declared and in one slot (ElastiCache
 * Serverless, src/redis/key-rules.ts), one call per slot, all pipelined, and a plain SET or RESTORE where one
 * command is the whole write. A refusal that calls per slot avoid, seen on a target not known to need them,
 * switches the target to them and resends what was refused. With a `stamp` (src/keys/stamp.ts), each write refuses
 * to replace a newer copy.
 */
export async function writeKeys(
  target: RedisPort,
  writes: KeyWrite[],
  policy: ConflictPolicy,
  stamp?: number,
): Promise<Reply[]> {
  if (writes.length === 0) return [];
  if (stamp !== undefined) return writeStamped(target, writes, policy, stamp);
  const bySlot = keyRulesOf(target) === 'by-slot';
  const calls = planCalls(target, writes, policy);
  const replies = await execScripts(
    target,
    calls.map((call) => call.command),
    [writeBatchScript],
  );
  const out: Reply[] = new Array(writes.length);
  const refused: number[] = [];
  calls.forEach((call, c) => {
    const reply = replies[c] ?? null;
    call.indexes.forEach((index, j) => {
      const one = call.plain || !Array.isArray(reply) ? reply : (reply[j] ?? null);
      if (!bySlot && one instanceof Error && keyRulesRefusal(one)) refused.push(index);
      else out[index] = one;
    });
    if (Array.isArray(reply) && !call.plain) releaseReply(reply);
  });
  if (refused.length > 0) {
    learnBySlot(target);
    const resent = await writeKeys(
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

/** The calls that write `writes`: per node or per slot (callGroups), each at most maxCallBytes of payload. */
function planCalls(target: RedisPort, writes: KeyWrite[], policy: ConflictPolicy): WriteCall[] {
  const bySlot = keyRulesOf(target) === 'by-slot';
  const calls: WriteCall[] = [];
  const groups = callGroups(
    target,
    writes.map((write) => write.key),
  );
  for (const { indexes } of groups) {
    let members: number[] = [];
    let bytes = 0;
    const flush = () => {
      if (members.length > 0) calls.push(scriptCall(writes, members, policy, bySlot));
      members = [];
      bytes = 0;
    };
    for (const index of indexes) {
      const plain = bySlot && policy === 'replace' ? plainWrite(writes[index]!) : undefined;
      if (plain) {
        calls.push({ command: plain, indexes: [index], plain: true });
        continue;
      }
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
 * One write-script call for the writes at `members`, their keys declared where the target wants them (they share
 * a slot then); otherwise routed by the first key to the node that owns them all, with no key declared.
 */
function scriptCall(
  writes: KeyWrite[],
  members: number[],
  policy: ConflictPolicy,
  declare: boolean,
): WriteCall {
  const keys = members.map((index) => writes[index]!.key);
  const blob = packWrites(members.map((index) => writes[index]!));
  const command = declare
    ? declaredScriptCommand(writeBatchScript, keys, [policy, blob])
    : { ...scriptCommand(writeBatchScript, undefined, [policy, blob]), key: keys[0]! };
  return { command, indexes: members, plain: false };
}

/**
 * The one plain command that replaces a key whole, where there is one: SET for a string, RESTORE for a DUMP
 * payload (the type's replaceCommand), each with its absolute expiry. A key whose expiry passed on the target's clock meanwhile is dropped by
 * the server and counted as copied (the batch already left out what had expired on the source's clock).
 */
function plainWrite({ key, type, expireAt, payload }: KeyWrite): Command | undefined {
  const value = payload[0];
  if (value === undefined) return undefined;
  const replace = redisType(type)?.replaceCommand;
  if (replace) return replace(key, value, expireAt);
  if (type === 'restore') return cmd('RESTORE', [key, expireAt, value, 'ABSTTL', 'REPLACE'], key);
  return undefined;
}

/**
 * Writes as the batch write script unpacks them: for each, key, (with `stampHashes`, its stamp hash:
 * writeStampedBatchScript,) type, expireAtMs, payload length n and payload×n, every field a 4-byte big-endian length,
 * then its bytes. Written straight into one buffer sized first, with no array of all the fields in between, and
 * numbers written digit by digit: this runs for every field of every key (a mirror packs each write).
 */
export function packWrites(writes: readonly KeyWrite[], stampHashes = false): Buffer {
  const hashes = stampHashes ? writes.map((write) => stampKeyBytesFor(write.key)) : undefined;
  const types = writes.map((write) => typeBytes(write.type));
  let size = 0;
  for (const [i, { key, expireAt, payload }] of writes.entries()) {
    size += 16 + key.length + types[i]!.length + decimalLength(expireAt) + decimalLength(payload.length);
    if (hashes) size += 4 + hashes[i]!.length;
    for (const arg of payload) size += fieldBytes(arg);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const length = (n: number) => {
    out[at] = n >>> 24;
    out[at + 1] = (n >>> 16) & 0xff;
    out[at + 2] = (n >>> 8) & 0xff;
    out[at + 3] = n & 0xff;
    at += 4;
  };
  const put = (field: Arg) => {
    if (Buffer.isBuffer(field)) {
      length(field.length);
      out.set(field, at);
      at += field.length;
    } else if (typeof field === 'number' && isDecimal(field)) {
      const text = String(field);
      length(text.length);
      for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
      at += text.length;
    } else {
      const written = out.write(String(field), at + 4);
      length(written);
      at += written;
    }
  };
  for (const [i, { key, expireAt, payload }] of writes.entries()) {
    put(key);
    if (hashes) put(hashes[i]!);
    put(types[i]!);
    put(expireAt);
    put(payload.length);
    for (const arg of payload) put(arg);
  }
  return out;
}

/** Type names as bytes, made once each. */
const typeNames = new Map<string, Buffer>();
const typeBytes = (type: string): Buffer => {
  let bytes = typeNames.get(type);
  if (!bytes) {
    bytes = Buffer.from(type);
    typeNames.set(type, bytes);
  }
  return bytes;
};

/** A number whose decimal text is plain digits (an expiry, a length, a score like 3): ASCII, one byte a digit. */
const isDecimal = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const decimalLength = (n: number): number => (isDecimal(n) && n < 10 ? 1 : Buffer.byteLength(String(n)));

const fieldBytes = (field: Arg): number =>
  4 +
  (Buffer.isBuffer(field)
    ? field.length
    : typeof field === 'number'
      ? decimalLength(field)
      : Buffer.byteLength(String(field)));
