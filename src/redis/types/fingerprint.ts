import { createHash } from 'node:crypto';
import type { Reply } from '../port.js';

/** SHA1 over length-prefixed pieces ('3:abc'), so element boundaries stay apart: a small value's fingerprint. */
export function piecesDigest(pieces: Iterable<Buffer | string>): string {
  const hash = createHash('sha1');
  for (const piece of pieces) {
    const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
    hash.update(`${buffer.length}:`).update(buffer);
  }
  return hash.digest('hex');
}

/** The digest of a flat list of pairs sorted by their first element's bytes: order-free and locale-free. */
export function pairsDigest(items: Reply[], second: (bytes: Buffer) => Buffer | string = (b) => b): string {
  const pairs: Array<[Buffer, Buffer | string]> = [];
  for (let i = 0; i + 1 < items.length; i += 2)
    pairs.push([items[i] as Buffer, second(items[i + 1] as Buffer)]);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  return piecesDigest(pairs.flat());
}
