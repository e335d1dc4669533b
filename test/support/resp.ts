/**
 * Just enough RESP for a proxy that inspects what passes: where each client request ends (with its name, argument
 * count and first arguments) and where each server reply ends, without copying the bytes in between. For an
 * incomplete value both parsers say how long the buffer must at least grow (`need`), so the caller waits for that
 * much data before parsing again from the value's start: a 2 MB value is parsed once, not once per read.
 */

/** The value is not complete: parse again once the buffer holds at least `need` bytes. */
export interface Incomplete {
  need: number;
}

/** One client request: bytes [start, end) of the buffer it was parsed from. */
export interface RequestHead {
  end: number;
  /** Upper-case command name ('' for an empty inline line). */
  name: string;
  /** Arguments, the command name included. */
  argc: number;
  /** The first few arguments after the name (as many as `keep` asked for). */
  args: Buffer[];
}

const CR = 13;

/** Position just past the next CRLF from `from`, or -1 when the line is not complete yet. */
function lineEnd(buf: Buffer, from: number): number {
  const at = buf.indexOf(CR, from);
  return at === -1 || at + 1 >= buf.length ? -1 : at + 2;
}

/** The integer after a one-byte type marker, on the line that starts at `at`. */
function lineInt(buf: Buffer, at: number, end: number): number {
  return Number(buf.toString('latin1', at + 1, end - 2));
}

/** Parses the request starting at `at`, keeping up to `keep` arguments after its name. */
export function parseRequest(buf: Buffer, at: number, keep = 3): RequestHead | Incomplete {
  const more = { need: buf.length + 1 };
  if (at >= buf.length) return more;
  if (buf[at] !== 0x2a) return parseInline(buf, at, keep); // not '*': an inline command (redis-cli, telnet)
  const headEnd = lineEnd(buf, at);
  if (headEnd === -1) return more;
  const argc = lineInt(buf, at, headEnd);
  let pos = headEnd;
  let name = '';
  const args: Buffer[] = [];
  for (let i = 0; i < argc; i++) {
    const end = lineEnd(buf, pos);
    if (end === -1) return more;
    const length = lineInt(buf, pos, end);
    const next = end + length + 2;
    if (next > buf.length) return { need: next };
    if (i === 0) name = buf.toString('latin1', end, end + length).toUpperCase();
    else if (i <= keep) args.push(buf.subarray(end, end + length));
    pos = next;
  }
  return { end: pos, name, argc: Math.max(argc, 0), args };
}

function parseInline(buf: Buffer, at: number, keep: number): RequestHead | Incomplete {
  const end = buf.indexOf(0x0a, at);
  if (end === -1) return { need: buf.length + 1 };
  const words = buf
    .toString('latin1', at, end)
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  return {
    end: end + 1,
    name: (words[0] ?? '').toUpperCase(),
    argc: words.length,
    args: words.slice(1, 1 + keep).map((word) => Buffer.from(word, 'latin1')),
  };
}

/** Aggregate types and how many values each announced element stands for (maps and attributes hold pairs). */
const aggregates: Record<number, number> = { 42: 1, 126: 1, 62: 1, 37: 2, 124: 2 }; // * ~ > % |
/** Types whose line is followed by that many bytes and a CRLF. */
const blobs = new Set([0x24, 0x21, 0x3d]); // $ ! =

/**
 * Position just past the reply starting at `at`. RESP2 and RESP3; an attribute (|) is followed by the value it
 * annotates, which belongs to the same reply.
 */
export function skipReply(buf: Buffer, at: number): number | Incomplete {
  const more = { need: buf.length + 1 };
  let pos = at;
  let pending = 1; // values still to skip
  while (pending > 0) {
    if (pos >= buf.length) return more;
    const type = buf[pos]!;
    const end = lineEnd(buf, pos);
    if (end === -1) return more;
    pending--;
    if (blobs.has(type)) {
      const length = lineInt(buf, pos, end);
      pos = length < 0 ? end : end + length + 2;
      if (pos > buf.length) return { need: pos };
      continue;
    }
    const per = aggregates[type];
    if (per !== undefined) {
      const count = lineInt(buf, pos, end);
      if (count > 0) pending += count * per;
      if (type === 0x7c) pending++; // the annotated value
    }
    pos = end;
  }
  return pos;
}

/** A RESP error reply. */
export const errorReply = (message: string): Buffer => Buffer.from(`-${message.replace(/[\r\n]/g, ' ')}\r\n`);

/** Bytes received but not parsed yet: chunks are joined only once there is enough to parse. */
export class Pending {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Length the bytes must reach before a parse can get further. */
  need = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Every byte as one buffer, or undefined while there are fewer than `need`. */
  take(): Buffer | undefined {
    if (this.size === 0 || this.size < this.need) return undefined;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    return buf;
  }

  /** Keeps the unparsed tail of `buf` (copied when small, so a big buffer is not held for a few bytes). */
  keep(buf: Buffer, from: number, need: number): void {
    this.need = need - from;
    if (from >= buf.length) return;
    const tail = buf.subarray(from);
    this.push(tail.length < 65536 ? Buffer.from(tail) : tail);
  }
}
