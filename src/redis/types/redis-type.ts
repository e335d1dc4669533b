import type { Arg, Command, Reply } from '../port.js';
import type { TypeCodec } from './codec.js';

/**
 * One Redis type whole, the way node-redis keeps a command whole: how it is read, written, chunked, digested and
 * described. The scripts (src/redis/scripts.ts, src/verify/scripts.ts) assemble their per-type `if ty == … elseif`
 * chains from these pieces; the JS that treats types differently looks the type up in the registry (./index.ts).
 * The payload and chunks (TypeCodec) are what the write script's `write` Lua takes.
 */
export interface RedisType<Operator extends string = string> extends TypeCodec {
  /** TYPE's answer. */
  server: string;
  /** The name operators use with --type. */
  operator: Operator;
  /** Its one-letter code in the batch digest's type hints; none: the other side asks TYPE. */
  letter?: string;
  /** The command answering its size; none: its size is taken as 0 (never chunked). */
  sizeCommand?: string;
  /** What its size counts: a string's bytes are bounded by maxInlineBytes, elements by chunkSize. */
  sizeIn: 'bytes' | 'elements';
  /** Whether its digest is order-free (chunk digests XORed) or ordered (chunk digests chained). */
  orderFree: boolean;
  /** Commands reading it whole without Lua: one whose reply is the value, or several whose replies together are. */
  wholeRead(key: Buffer): Command[];
  /** Source commands a copy in chunks costs for a key of `size` (the dry run's estimate). */
  chunkReads(size: number, chunkSize: number): number;
  /** The one plain command replacing a key whole, where there is one (fewer bytes than the write script). */
  replaceCommand?(key: Buffer, value: Arg, expireAt: number): Command;
  /** The fingerprint of a small value read whole as a list (a value read as one string is its own fingerprint). */
  fingerprint?(items: Reply[]): string;
  /** A short printable preview of a value read whole, for the examples of a report. */
  preview(value: Reply): string;
  lua: TypeLua;
  /** Other shapes a key of this type travels in between the read and the write (a hash with field expiries). */
  variants?: TypeVariant[];
}

/** A shape a key travels in besides its type's own: the read script answers it as `name`, the write takes it. */
export interface TypeVariant extends TypeCodec {
  name: string;
  /** writeKey's Lua for this shape (as TypeLua.write). */
  write: string;
  /** The value in its type's own shape (for a preview or a fingerprint). */
  plain(value: Reply): Reply;
}

/**
 * A type's Lua, one `if` branch body per script, unindented. Each body runs with the locals its script documents
 * where it assembles the chain.
 */
export interface TypeLua {
  /** Lua functions the read body calls, defined before the read script's chain. */
  readHelpers?: string;
  /** readBatchScript: sets `size` and, when it fits, `val` (the value read whole); may answer a variant in `ty`. */
  read: string;
  /** writeKey: adds the payload args[from..to] to key `k` (empty, or being rebuilt in chunks). */
  write: string;
  /** writeKey, before the key is emptied: replaces `k` whole with expiry `exp` in one command, and returns. */
  replace?: string;
  /** Verify, fingerprintBatchScript: sets `size` and `digest` (raw value, SHA1, or false: digested in chunks). */
  fingerprint: string;
  /** Verify, digestChunkScript: returns {nextCursor, chunkDigest, elementsSeen}; none: never digested in chunks. */
  digestChunk?: string;
  /** Verify, batchDigestScript's encode(i): put()s the value of `k`, or returns bigKey(i, ty, size). */
  encode: string;
  /** Verify-only Lua functions the verify bodies call, defined after the shared verify helpers. */
  verifyHelpers?: string;
}
