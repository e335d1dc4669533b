import { createHash } from 'node:crypto';
import type { Reply } from '../redis/port.js';

/** Small values cross the network as they are and are fingerprinted here (server CPU is the scarcer resource). */
export const rawElements = 64;
export const rawBytes = 256;

/**
 * The fingerprint of a small value the batch script returned raw: the bytes themselves for a string, else a SHA1
 * over length-prefixed elements, sorted by bytes for hashes, sets and zsets (order-free, locale-free), in order for
 * lists and stream entries (a stream also carries its last ID and consumer groups). Zset scores are parsed and printed back, so two servers printing the same double differently agree.
 */
export function rawFingerprint(type: string, value: Reply): string {
  if (Buffer.isBuffer(value)) return `=${value.toString('latin1')}`;
  const items = Array.isArray(value) ? (value as Buffer[]) : [];
  const hash = createHash('sha1');
  const add = (bytes: Buffer | string) => {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    hash.update(`${buffer.length}:`).update(buffer);
  };
  if (type === 'list') {
    for (const item of items) add(item);
  } else if (type === 'stream') {
    // [entries, meta]: each entry is [id, [field, value, …]]; meta is the last ID (and the groups' digest).
    const [entries, meta] = value as Reply[];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const [id, fields] = entry as [Buffer, Buffer[]];
      add(id);
      add(String(fields.length));
      for (const field of fields) add(field);
    }
    add(Buffer.isBuffer(meta) ? meta : '');
  } else if (type === 'set') {
    for (const item of [...items].sort(Buffer.compare)) add(item);
  } else {
    const pairs: Array<[Buffer, Buffer | string]> = [];
    for (let i = 0; i + 1 < items.length; i += 2) {
      const second = type === 'zset' ? normalScore(items[i + 1]!.toString()) : items[i + 1]!;
      pairs.push([items[i]!, second]);
    }
    pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
    for (const [first, second] of pairs) {
      add(first);
      add(second);
    }
  }
  return hash.digest('hex');
}

/** A score as one canonical text: Redis prints infinities as inf/-inf, which Number() does not read. */
function normalScore(text: string): string {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return 'Infinity';
  if (lower === '-inf') return '-Infinity';
  return String(Number(text));
}
