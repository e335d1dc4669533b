/** Sync follows hash-field expiry on a Redis 8.0 source: HPEXPIRE, HPERSIST and a field expiring re-copy the key. */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { hasEngine, startServer, stopAll } from './support/servers.js';
import { notifyArgs, syncWhile, waitFor } from './support/sync.js';

afterAll(stopAll);

const fieldExpiry = async (client: Redis, key: string, field: string): Promise<number> =>
  ((await client.call('HPEXPIRETIME', key, 'FIELDS', 1, field)) as number[])[0]!;

describe.skipIf(!hasEngine('redis-8.0'))('sync with hash-field expiry (needs redis-8.0)', () => {
  it('follows HPEXPIRE, HPERSIST and a field expiring on the source, every field expiry exact', async () => {
    const source = await startServer({ engine: 'redis-8.0', args: notifyArgs });
    const target = await startServer({ engine: 'redis-8.0' });
    const src = source.client();
    const dst = target.client();
    await src.hset('h', 'a', '1', 'b', '2', 'c', '3');
    await src.hset('p', 'x', '1');
    await src.call('HPEXPIRE', 'p', 3600_000, 'FIELDS', 1, 'x');

    const { report } = await syncWhile(source, target, async () => {
      // Nothing but field-expiry commands: no HSET that would re-copy the key anyway.
      await src.call('HPEXPIRE', 'h', 3600_000, 'FIELDS', 1, 'a');
      await src.call('HPEXPIRE', 'h', 300, 'FIELDS', 1, 'b');
      await src.call('HPERSIST', 'p', 'FIELDS', 1, 'x');
      const aAt = await fieldExpiry(src, 'h', 'a');
      await waitFor('a field expiry on the target', async () => (await fieldExpiry(dst, 'h', 'a')) === aAt);
      await waitFor('a persisted field on the target', async () => (await fieldExpiry(dst, 'p', 'x')) === -1);
      // b expires on the source (hexpired): the target's b goes too, by its own expiry or the re-copy.
      await waitFor('b to expire on the source', async () => (await src.hexists('h', 'b')) === 0);
    });
    expect(report.deadLetters).toEqual([]);
    expect(await dst.hgetall('h')).toEqual({ a: '1', c: '3' });
    expect(await fieldExpiry(dst, 'h', 'a')).toBe(await fieldExpiry(src, 'h', 'a'));
    expect(await fieldExpiry(dst, 'h', 'c')).toBe(-1);
    expect(await fieldExpiry(dst, 'p', 'x')).toBe(-1);
    src.disconnect();
    dst.disconnect();
  }, 40_000);
});
