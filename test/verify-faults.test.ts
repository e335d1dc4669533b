import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { lastVerifyKey } from '../src/control/names.js';
import { copyBetween } from './support/copy.js';
import { expectSameValues } from './support/fidelity.js';
import {
  engineMatrix,
  flushAll,
  startCluster,
  startRedis,
  startServer,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { problemsByKey, verifyBetween } from './support/verify.js';

const HOUR = 3_600_000;
const BIG_HASH_FIELDS = 100_000;

/** Keys that each get one fault on the target, besides the fixtures (every type, binary data, big keys). */
async function seedFaultKeys(client: Redis): Promise<void> {
  const now = Date.now();
  await client.set('vf:missing', 'will be deleted on the target');
  await client.set('vf:type', 'a string on the source');
  await client.set('vf:string', 'one byte will change');
  for (let i = 0; i < BIG_HASH_FIELDS; i += 5_000) {
    const args: string[] = [];
    for (let j = i; j < i + 5_000; j++) args.push(`field:${j}`, `value:${j}`);
    await client.hset('vf:bighash', ...args);
  }
  await client.rpush('vf:list', 'a', 'b', 'c', 'd');
  // Past the raw-value limit (64 elements): fingerprinted by the Lua digest inside the batch script.
  await client.sadd('vf:set', 'x', 'y', 'z', ...Array.from({ length: 300 }, (_, i) => `member:${i}`));
  await client.zadd(
    'vf:zset',
    1,
    'one',
    2,
    'two',
    3.25,
    'three',
    ...Array.from({ length: 100 }, (_, i) => [i / 3, `m${i}`]).flat(),
  );
  await client.xadd('vf:stream', '1-0', 'f', 'v1');
  await client.xadd('vf:stream', '2-0', 'f', 'v2');
  await client.set('vf:ttl-lost', 'x', 'PXAT', now + HOUR);
  await client.set('vf:ttl-added', 'x');
  await client.set('vf:ttl-drift', 'x', 'PXAT', now + HOUR);
}

/** One fault per key on the target: the problem verify must name for it. */
const expected: Record<string, string> = {
  'vf:missing': 'missing',
  'vf:extra': 'extra',
  'vf:type': 'type',
  'vf:string': 'value',
  'vf:bighash': 'value',
  'vf:list': 'value',
  'vf:set': 'value',
  'vf:zset': 'value',
  'vf:stream': 'value',
  'vf:ttl-lost': 'ttl-lost',
  'vf:ttl-added': 'ttl-added',
  'vf:ttl-drift': 'ttl-drift',
};

async function injectFaults(target: Redis | Cluster): Promise<void> {
  await target.del('vf:missing');
  await target.set('vf:extra', 'only on the target');
  await target.del('vf:type');
  await target.rpush('vf:type', 'a list on the target');
  await target.setrange('vf:string', 4, 'B'); // one byte
  await target.hset('vf:bighash', 'field:77777', 'value:77778');
  await target.del('vf:list');
  await target.rpush('vf:list', 'a', 'c', 'b', 'd');
  await target.srem('vf:set', 'y');
  await target.zadd('vf:zset', 2.5, 'two');
  await target.xdel('vf:stream', '1-0');
  await target.persist('vf:ttl-lost');
  await target.pexpire('vf:ttl-added', HOUR);
  await target.pexpireat('vf:ttl-drift', Number(await target.pexpiretime('vf:ttl-drift')) + 5_000);
}

// A Redis 7.0 source and each target engine users have (Valkey 8.1 as built).
describe.each(engineMatrix('redis-7.0', 'valkey-8.1'))(
  'verify finds every injected fault, names it, and repairs it (%s target)',
  (engine) => {
    let source: TestServer;
    let standalone: TestServer;
    let cluster: TestCluster;
    let sourceClient: Redis;
    const dir = tempDir();

    beforeAll(async () => {
      [source, standalone, cluster] = await Promise.all([
        startRedis(),
        startServer({ engine }),
        startCluster({ engine }),
      ]);
      sourceClient = source.client();
      await seedFixtures(sourceClient, { bigSize: 5_000, withShortTtls: false });
      await seedFaultKeys(sourceClient);
    }, 60_000);

    afterAll(async () => {
      sourceClient?.disconnect();
      await stopAll();
      dir.remove();
    });

    const targets = () => ({ standalone, cluster });
    for (const kind of ['standalone', 'cluster'] as const) {
      describe(`${kind} target`, () => {
        it('verifies a clean copy as ok in full and sample modes, with counts that match', async () => {
          const target = targets()[kind];
          await flushAll(target);
          const copied = await copyBetween(source.url, target.url, {
            checkpointFile: dir.file(`${kind}.json`),
          });
          expect(copied.failed).toBe(0);

          const full = await verifyBetween(source.url, target.url, { mode: 'full' });
          expect(full).toMatchObject({
            ok: true,
            mode: 'full',
            missing: 0,
            extra: 0,
            typeMismatch: 0,
            valueMismatch: 0,
          });
          expect(full).toMatchObject({ ttlMismatch: 0, remaining: 0, rechecked: 0, examples: [] });
          // Every batch cleared by its digests alone: no key needed a compare of its own.
          expect(full.comparedOneByOne).toBe(0);
          expect(full.checked).toBe(copied.copied);
          expect(full.targetScanned).toBe(copied.copied);
          expect(full.source.dbsize).toBe(copied.copied);
          expect(full.target).toMatchObject({ dbsize: copied.copied, reserved: 0 });
          expect(full.source.keysWithTtl).toBeGreaterThan(0);
          expect(full.target.keysWithTtl).toBe(full.source.keysWithTtl);

          const sample = await verifyBetween(source.url, target.url, { mode: 'sample', sample: 40 });
          expect(sample).toMatchObject({ ok: true, mode: 'sample', remaining: 0 });
          expect(sample.sample?.method).toBe('randomkey');
          // The first run saved its result in a reserved key, which the counts leave out.
          expect(sample.target).toMatchObject({ dbsize: copied.copied, reserved: 1 });
          // 40 draws with replacement from ~45 keys: ~27 distinct on average, below 15 practically never.
          expect(sample.checked).toBeGreaterThanOrEqual(15);
        });

        it('names each injected fault in full mode, then --repair fixes them all and a second run is clean', async () => {
          const target = targets()[kind];
          const client = kind === 'cluster' ? cluster.client() : standalone.client();
          try {
            await injectFaults(client);
            const found = await verifyBetween(source.url, target.url, { mode: 'full' });
            expect(problemsByKey(found)).toEqual(expected);
            expect(found).toMatchObject({
              ok: false,
              missing: 1,
              extra: 1,
              typeMismatch: 1,
              valueMismatch: 6,
              ttlMismatch: 3,
            });
            expect(found.remaining).toBe(12);
            const changedByte = found.examples.find((e) => e.key === 'vf:string')!;
            expect(changedByte.source).toContain('one byte will change');
            expect(changedByte.target).toContain('one Byte will change');
            const saved = JSON.parse((await client.get(lastVerifyKey)) ?? '{}');
            expect(saved).toMatchObject({ ok: false, mode: 'full', missing: 1, remaining: 12 });

            const repaired = await verifyBetween(source.url, target.url, { mode: 'full', repair: true });
            expect(repaired).toMatchObject({ ok: true, repaired: 12, remaining: 0, valueMismatch: 6 });
            expect(repaired.examples.every((e) => e.repaired === true)).toBe(true);

            const again = await verifyBetween(source.url, target.url, { mode: 'full' });
            expect(again).toMatchObject({ ok: true, remaining: 0, examples: [] });
            // Independent oracle: the servers' own digests of every key and value (the saved result key aside).
            await client.del(lastVerifyKey);
            await expectSameValues(source, target);
          } finally {
            client.disconnect();
          }
        }, 60_000);
      });
    }
  },
);
