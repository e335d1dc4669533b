import type { Arg, Command, Reply } from './port.js';

/**
 * RESP2 for the lean connection (src/redis/lean-connection.ts): a whole pipeline encoded into one buffer, and
 * replies decoded as they arrive, raw (bulk and status replies as Buffers, errors as Error values), the way
 * ioredis's callBuffer answers.
 */

const argBytes = (arg: Arg): number => (Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(String(arg)));
const digits = (n: number): number => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length);

/**
 * The commands as one RESP request buffer, sized first and written once. Headers are written byte by byte: this
 * runs for every argument of every key, where a template string per argument is most of the cost (and garbage).
 */
export function encodeCommands(commands: readonly Command[]): Buffer {
  let size = 0;
  for (const { name, args } of commands) {
    size += 3 + digits(args.length + 1) + 5 + digits(name.length) + name.length;
    for (const arg of args) {
      const length = argBytes(arg);
      size += 5 + digits(length) + length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const header = (marker: number, n: number) => {
    out[at++] = marker;
    const text = digits(n) === 1 ? undefined : String(n);
    if (text === undefined) out[at++] = 48 + n;
    else for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    out[at++] = 13;
    out[at++] = 10;
  };
  const put = (arg: Arg) => {
    if (Buffer.isBuffer(arg)) {
      header(0x24, arg.length);
      out.set(arg, at);
      at += arg.length;
    } else {
      const text = String(arg);
      header(0x24, Buffer.byteLength(text));
      at += out.write(text, at);
    }
    out[at++] = 13;
    out[at++] = 10;
  };
  for (const { name, args } of commands) {
    header(0x2a, args.length + 1);
    put(name);
    for (const arg of args) put(arg);
  }
  return out;
}

/** A reply not complete yet: decode again once the buffer holds at least `need` bytes. */
interface Incomplete {
  need: number;
}

/** Decodes the reply at `at`: the value and where it ends, or how long the buffer must grow. */
function decode(buf: Buffer, at: number): { value: Reply; end: number } | Incomplete {
  const lineEnd = buf.indexOf(13, at);
  if (lineEnd === -1 || lineEnd + 1 >= buf.length) return { need: buf.length + 1 };
  const type = buf[at];
  const after = lineEnd + 2;
  if (type === 0x2b) return { value: buf.subarray(at + 1, lineEnd), end: after }; // + status
  if (type === 0x2d) return { value: new Error(buf.toString('utf8', at + 1, lineEnd)), end: after }; // - error
  const n = Number(buf.toString('latin1', at + 1, lineEnd));
  if (type === 0x3a) return { value: n, end: after }; // : integer
  if (type === 0x24) {
    // $ bulk string
    if (n < 0) return { value: null, end: after };
    const end = after + n + 2;
    return end > buf.length ? { need: end } : { value: buf.subarray(after, after + n), end };
  }
  if (type !== 0x2a)
    return { value: new Error(`unexpected RESP type ${String.fromCharCode(type ?? 0)}`), end: after };
  if (n < 0) return { value: null, end: after };
  const items: Reply[] = new Array(n);
  let pos = after;
  for (let i = 0; i < n; i++) {
    const item = decode(buf, pos);
    if ('need' in item) return item;
    items[i] = item.value;
    pos = item.end;
  }
  return { value: items, end: pos };
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
    for (;;) {
      const reply = at < buf.length ? decode(buf, at) : { need: buf.length + 1 };
      if ('need' in reply) {
        this.need = reply.need - at;
        break;
      }
      replies.push(reply.value);
      at = reply.end;
    }
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
