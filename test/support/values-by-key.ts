/**
 * A value oracle for servers of different engines, whose DEBUG DIGESTs differ for equal data: Valkey 8 prints a sorted
 * set's scores unlike Redis 7.0 (measured on the fixtures: only sorted sets differ). Key by key instead: name, type,
 * DEBUG DIGEST-VALUE of the value, and sorted sets by parsed scores. Whether a key has a TTL is left to the expiry
 * checks (PEXPIRETIME), which see its value too.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type DigestTarget, onMasters } from './digest.js';

/** Every key (latin1 of its bytes) with its type and a digest of its value, read on the master that holds it. */
export async function valuesByKey(target: DigestTarget): Promise<Map<string, string>> {
  const perMaster = await onMasters(target, readMaster);
  return new Map(perMaster.flat().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function readMaster(master: Redis): Promise<Array<[string, string]>> {
  const entries: Array<[string, string]> = [];
  let cursor = '0';
  do {
    const [next, keys] = await master.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    const values = await Promise.all(keys.map((key) => valueDigest(master, key)));
    for (const [i, key] of keys.entries()) entries.push([key.toString('latin1'), values[i]!]);
  } while (cursor !== '0');
  return entries;
}

async function valueDigest(master: Redis, key: Buffer): Promise<string> {
  const type = await master.type(key);
  if (type !== 'zset') {
    const [value] = (await master.callBuffer('DEBUG', 'DIGEST-VALUE', key)) as Buffer[];
    return `${type} ${value}`;
  }
  const flat = await master.zrangeBuffer(key, 0, -1, 'WITHSCORES');
  const hash = createHash('sha1');
  for (let i = 0; i < flat.length; i += 2) {
    hash.update(`${flat[i]!.toString('hex')} ${parseScore(flat[i + 1]!.toString())}\n`);
  }
  return `zset ${hash.digest('hex')}`;
}

/** Engines print +inf as "inf", which Number() does not read. (The oracle's own parser, not the product's.) */
function parseScore(text: string): number {
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  return Number(text);
}
