import type { Arg, Command, Reply } from './port.js';

/**
 * RESP2 for the lean connection (src/redis/lean-connection.ts): a whole pipeline encoded into one buffer, and
 * replies decoded as they arrive, raw (bulk and status replies as Buffers, errors as Error values), the way
 * ioredis's callBuffer answers.
 */

const digits = (n: number): number => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length);

/** A string argument's UTF-8 length when it is short ASCII (the usual argument: a number, a SHA, a flag), else -1. */
function asciiLength(text: string): number {
  if (text.length > 64) return -1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return -1;
  return text.length;
}

/** Byte lengths of the arguments of the request being encoded, negative (-1 - length) where not short ASCII. */
const lengths: number[] = [];

/**
 * The commands as one RESP request buffer, sized first and written once. Headers and short ASCII arguments are
 * written byte by byte: this runs for every argument of every key, where a template string or a Buffer.write per
 * argument is most of the cost (and garbage).
 */
export function encodeCommands(commands: readonly Command[]): Buffer {
  let size = 0;
  let n = 0;
  const measure = (arg: Arg) => {
    if (Buffer.isBuffer(arg)) {
      lengths[n++] = arg.length;
      size += 5 + digits(arg.length) + arg.length;
      return;
    }
    const text = typeof arg === 'string' ? arg : String(arg);
    const ascii = asciiLength(text);
    const length = ascii >= 0 ? ascii : Buffer.byteLength(text);
    lengths[n++] = ascii >= 0 ? length : -1 - length;
    size += 5 + digits(length) + length;
  };
  for (const { name, args } of commands) {
    size += 3 + digits(args.length + 1);
    measure(name);
    for (const arg of args) measure(arg);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  n = 0;
  const header = (marker: number, count: number) => {
    out[at++] = marker;
    if (count < 10) out[at++] = 48 + count;
    else {
      const text = String(count);
      for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    }
    out[at++] = 13;
    out[at++] = 10;
  };
  const put = (arg: Arg) => {
    const length = lengths[n++]!;
    if (Buffer.isBuffer(arg)) {
      header(0x24, length);
      out.set(arg, at);
      at += length;
    } else if (length >= 0) {
      const text = typeof arg === 'string' ? arg : String(arg);
      header(0x24, length);
      for (let i = 0; i < length; i++) out[at++] = text.charCodeAt(i);
    } else {
      header(0x24, -1 - length);
      at += out.write(String(arg), at);
    }
    out[at++] = 13;
    out[at++] = 10;
  };
  for (const { name, args } of commands) {
    header(0x2a, args.length + 1);
    put(name);
    for (const arg of args) put(arg);
  }
  lengths.length = 0;
  return out;
}

/** decode's answer for a reply not complete yet: decode again once the buffer holds at least `need` bytes. */
const incomplete = Symbol('incomplete');

/** Where decode reads next in its buffer, and after an incomplete reply how long the buffer must grow. */
let pos = 0;
let need = 0;

/** The number written from `pos` up to its CR, or undefined (need set) when the line is not complete yet. */
function lineNumber(buf: Buffer): number | undefined {
  let at = pos;
  let negative = false;
  if (buf[at] === 0x2d) {
    negative = true;
    at++;
  }
  let n = 0;
  for (; at < buf.length; at++) {
    const c = buf[at]!;
    if (c === 13) {
      if (at + 1 >= buf.length) break;
      pos = at + 2;
      return negative ? -n : n;
    }
    n = n * 10 + (c - 48);
  }
  need = buf.length + 1;
  return undefined;
}

/** Decodes the reply at `pos` and moves past it; `incomplete` (need set) when the buffer ends first. */
function decode(buf: Buffer): Reply | typeof incomplete {
  const type = buf[pos];
  if (type === 0x2b || type === 0x2d) {
    // + status, - error: the line as it is
    const lineEnd = buf.indexOf(13, pos);
    if (lineEnd === -1 || lineEnd + 1 >= buf.length) {
      need = buf.length + 1;
      return incomplete;
    }
    const start = pos + 1;
    pos = lineEnd + 2;
    return type === 0x2b ? buf.subarray(start, lineEnd) : new Error(buf.toString('utf8', start, lineEnd));
  }
  const start = pos;
  pos++;
  const n = lineNumber(buf);
  if (n === undefined) return incomplete;
  if (type === 0x3a) return n; // : integer
  if (type === 0x24) {
    // $ bulk string
    if (n < 0) return null;
    const end = pos + n + 2;
    if (end > buf.length) {
      need = end;
      return incomplete;
    }
    const value = buf.subarray(pos, pos + n);
    pos = end;
    return value;
  }
  if (type !== 0x2a) return new Error(`unexpected RESP type ${String.fromCharCode(buf[start] ?? 0)}`);
  if (n < 0) return null;
  const items: Reply[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const item = decode(buf);
    if (item === incomplete) return item;
    items[i] = item;
  }
  return items;
}

/** Replies decoded from a stream of chunks; chunks are joined only once a reply can be complete. */
export class ReplyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private need = 0;

  /** Takes a chunk; returns the replies it completed, in order. */
  read(chunk: Buffer): Reply[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < this.need) return [];
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    const replies: Reply[] = [];
    let at = 0;
    while (at < buf.length) {
      pos = at;
      const reply = decode(buf);
      if (reply === incomplete) break;
      replies.push(reply);
      at = pos;
    }
    this.need = at < buf.length ? need - at : 0;
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.chunks.push(rest);
      this.size = rest.length;
    }
    return replies;
  }

  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.need = 0;
  }
}
