/**
 * Checks shared by the copy, verify and sync tests: the same values (DEBUG DIGEST, or key by key across engines), and
 * what DEBUG DIGEST does not cover (expiry values, stream groups and ID state).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import { digest, expiries, type TestCluster, type TestServer } from './servers.js';
import { valuesByKey } from './values-by-key.js';

/** A checkpoint path in a fresh temp dir. */
export const tempCheckpoint = (): string =>
  join(mkdtempSync(join(tmpdir(), 'migrate-upstash-')), 'checkpoint.json');

/**
 * How far a copied absolute expiry may be from the source's: not at all by default (PEXPIRETIME is read and
 * PEXPIREAT written). A copy that falls back to PTTL beside TIME may set it up to `earlierMs` early, and `laterMs`
 * late (rounding).
 */
export interface ExpirySkew {
  earlierMs: number;
  laterMs: number;
}

const exact: ExpirySkew = { earlierMs: 0, laterMs: 0 };

/** Every key of a standalone server, in SCAN order. */
export async function allKeys(client: Redis): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** Every source key exists on the target with the same absolute expiry and the same stream groups. */
export async function expectSameKeys(
  source: Redis,
  target: Redis | Cluster,
  skew: ExpirySkew = exact,
): Promise<void> {
  const keys = await allKeys(source);
  const [want, got] = await Promise.all([expiries(source, keys), expiries(target, keys)]);
  for (const [key, at] of want) {
    const copied = got.get(key)!;
    if (at < 0) expect(copied, key).toBe(at);
    else {
      expect(copied - at, key).toBeLessThanOrEqual(skew.laterMs);
      expect(at - copied, key).toBeLessThanOrEqual(skew.earlierMs);
    }
  }
  for (const key of keys) {
    if ((await source.type(key)) !== 'stream') continue;
    const groups = (client: Redis | Cluster) => client.call('XINFO', 'GROUPS', key);
    expect(await groups(target), key.toString('latin1')).toEqual(await groups(source));
    const info = async (client: Redis | Cluster) => {
      const flat = (await client.call('XINFO', 'STREAM', key)) as unknown[];
      const fields = new Map<string, unknown>();
      for (let i = 0; i < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
      return [
        fields.get('last-generated-id'),
        fields.get('max-deleted-entry-id'),
        fields.get('entries-added'),
      ];
    };
    expect(await info(target), key.toString('latin1')).toEqual(await info(source));
  }
}

/**
 * Both hold the same keys, types and values: equal DEBUG DIGESTs between servers of one engine; across engines, whose
 * digests of equal sorted sets differ, the same value digest key by key and sorted sets by parsed scores.
 */
export async function expectSameValues(
  source: TestServer | TestCluster,
  target: TestServer | TestCluster,
): Promise<void> {
  if (source.engine.name === target.engine.name) expect(await digest(target)).toBe(await digest(source));
  else expect(await valuesByKey(target)).toEqual(await valuesByKey(source));
}

/** The target holds exactly the source's data: the same values, and what the value digests do not see. */
export async function expectSameData(
  source: TestServer,
  target: TestServer | TestCluster,
  skew?: ExpirySkew,
): Promise<void> {
  await expectSameValues(source, target);
  const [from, to] = [source.client(), target.client()];
  try {
    await expectSameKeys(from, to, skew);
  } finally {
    from.disconnect();
    to.disconnect();
  }
}
