/**
 * Full verify compares each batch through one digest per side first. These tests pin what that digest must and
 * must not see: equal data kept in a different order by each server is equal, and differences that a careless
 * encoding would hide are found.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_BYTES } from '../fixtures/dataset.js';
import {
  engineMatrix,
  flushAll,
  startRedis,
  startServer,
  stopAll,
  type TestServer,
} from './support/servers.js';
import { problemsByKey, verifyBetween } from './support/verify.js';

const HOUR = 3_600_000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The same keys on both servers, written in opposite orders (fields, members, and the keys themselves). */
async function writeSameData(client: Redis, reversed: boolean): Promise<void> {
  const order = <T>(items: T[]) => (reversed ? [...items].reverse() : items);
  const expireAt = Date.now() + HOUR;
  // Past the listpack limits, so iteration order follows each server's own hash seed.
  for (const i of order(range(200))) await client.hset('dg:hash:big', `field:${i}`, `value:${i}`);
  for (const i of order(range(10))) await client.hset('dg:hash:long', `f${i}`, 'x'.repeat(100 + i));
  for (const i of order(range(10))) await client.hset('dg:hash:small', `f${i}`, `v${i}`);
  await client.sadd('dg:set:strings', ...order(range(100).map((i) => `member:${i}`)));
  await client.sadd('dg:set:ints', ...order(range(20).map(String)));
  await client.zadd('dg:zset:ties', ...order(range(30)).flatMap((i) => [1, `m${i}`]));
  // Scores engines print differently: Redis 7.0 reads 1/3 back as 0.33333333333333331, Valkey 8 as 0.3333333333333333.
  await client.zadd('dg:zset:thirds', ...order(range(20)).flatMap((i) => [i / 3, `m${i}`]));
  await client.set(Buffer.from([0, 0xff, 0x0a]), ALL_BYTES, 'PXAT', expireAt);
  await client.set('dg:empty', '');
  await client.rpush('dg:list', 'a', 'b', 'c');
  await client.xadd('dg:stream', '1-1', 'f', 'v', 'g', 'w');
}

/**
 * Source and target values that only an unambiguous, order-aware encoding tells apart: [key, command writing it on
 * the source, on the target (none: absent), the problem verify must name].
 */
type Write = [string, ...Array<string | number | Buffer>] | null;
const lookAlikes: Array<[string, Write, Write, string]> = [
  ['dg:list:split', ['RPUSH', 'ab', 'c'], ['RPUSH', 'a', 'bc'], 'value'],
  ['dg:set:split', ['SADD', 'ab', 'c'], ['SADD', 'a', 'bc'], 'value'],
  ['dg:hash:swap', ['HSET', 'a', '1', 'b', '2'], ['HSET', 'a', '2', 'b', '1'], 'value'],
  ['dg:hash:shift', ['HSET', 'a', 'b:c'], ['HSET', 'a:b', 'c'], 'value'],
  ['dg:zset:swap', ['ZADD', 1, 'x', 2, 'y'], ['ZADD', 2, 'x', 1, 'y'], 'value'],
  ['dg:stream:fields', ['XADD', '1-1', 'f', 'ab', 'g', 'c'], ['XADD', '1-1', 'f', 'a', 'bg', 'c'], 'value'],
  ['dg:type', ['SET', 'x'], ['RPUSH', 'x'], 'type'],
  ['dg:empty:missing', ['SET', ''], null, 'missing'],
  [
    'dg:binary',
    ['SET', ALL_BYTES],
    ['SET', Buffer.concat([ALL_BYTES.subarray(0, 255), Buffer.from([0])])],
    'value',
  ],
];

const run = (client: Redis, key: string, write: Write) =>
  write ? client.call(write[0], key, ...write.slice(1)) : undefined;

// Each engine prints scores and orders fields its own way; equal data must still be equal (Valkey 8.1 as built).
describe.each(engineMatrix('redis-7.0', 'valkey-8.1'))(
  'full verify compares batches by digest, exactly (%s target)',
  (engine) => {
    let source: TestServer;
    let target: TestServer;
    let sourceClient: Redis;
    let targetClient: Redis;

    beforeAll(async () => {
      [source, target] = await Promise.all([startRedis(), startServer({ engine })]);
      sourceClient = source.client();
      targetClient = target.client();
    }, 60_000);

    afterAll(async () => {
      sourceClient?.disconnect();
      targetClient?.disconnect();
      await stopAll();
    });

    it('clears equal data batch by batch, whatever order each server keeps fields and members in', async () => {
      await Promise.all([flushAll(source), flushAll(target)]);
      await writeSameData(sourceClient, false);
      await writeSameData(targetClient, true);
      // Same absolute expiry on both sides, as a copy writes it.
      const key = Buffer.from([0, 0xff, 0x0a]);
      await targetClient.pexpireat(key, Number(await sourceClient.pexpiretime(key)));

      const report = await verifyBetween(source.url, target.url, { mode: 'full', saveResult: false });
      expect(report).toMatchObject({ ok: true, checked: 11, remaining: 0, comparedOneByOne: 0 });
    });

    it('finds differences that a concatenation of elements would hide, and names each', async () => {
      await Promise.all([flushAll(source), flushAll(target)]);
      for (const [key, onSource, onTarget] of lookAlikes) {
        await run(sourceClient, key, onSource);
        await run(targetClient, key, onTarget);
      }
      // One key per batch: each difference is the only one its batch's digests can show.
      const report = await verifyBetween(source.url, target.url, {
        mode: 'full',
        saveResult: false,
        recheckMs: 10,
        batch: 1,
      });
      expect(problemsByKey(report)).toEqual(
        Object.fromEntries(lookAlikes.map(([key, , , problem]) => [key, problem])),
      );
      expect(report.comparedOneByOne).toBe(lookAlikes.length);
    });
  },
);
