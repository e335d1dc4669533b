/**
 * Hash-field expiry (HPEXPIRE, Redis >= 7.4): a struct copy from a Redis 8.0 source onto a Redis 8.0 target keeps
 * every field's absolute expiry to the millisecond, for small hashes and for hashes copied in chunks, beside key TTLs.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeys } from '../src/keys/write-batch.js';
import { runCli } from './support/cli.js';
import { copyBetween, withPort } from './support/copy.js';
import { startServerlessEndpoint } from './support/serverless-endpoint.js';
import {
  digest,
  engineMatrix,
  expiries,
  hasEngine,
  startServer,
  stopAll,
  type TestServer,
} from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { problemsByKey, verifyBetween } from './support/verify.js';

/** Every field's HPEXPIRETIME (-1 none), by key and field, read from one server. */
async function fieldExpiries(client: Redis, keys: string[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const key of keys) {
    const fields = await client.hkeys(key);
    const ats = fields.length
      ? ((await client.call('HPEXPIRETIME', key, 'FIELDS', fields.length, ...fields)) as number[])
      : [];
    out[key] = Object.fromEntries(fields.map((f, i) => [f, ats[i]!]));
  }
  return out;
}

describe.skipIf(!hasEngine('redis-8.0'))(
  'hash-field expiry, Redis 8.0 to Redis 8.0 (needs redis-8.0)',
  () => {
    let source: TestServer;
    let target: TestServer;
    let src: Redis;
    let dst: Redis;
    const dir = tempDir();
    const hour = 3600_000;

    beforeAll(async () => {
      [source, target] = await Promise.all([
        startServer({ engine: 'redis-8.0' }),
        startServer({ engine: 'redis-8.0' }),
      ]);
      [src, dst] = [source.client(), target.client()];
    }, 60_000);

    afterAll(async () => {
      src?.disconnect();
      dst?.disconnect();
      await stopAll();
      dir.remove();
    });

    it('keeps every field expiry exact, small and chunked hashes, beside key TTLs', async () => {
      await src.hset('small', 'a', '1', 'b', '2', 'c', '3');
      await src.call('HPEXPIRE', 'small', hour, 'FIELDS', 1, 'a');
      await src.call('HPEXPIRE', 'small', 2 * hour, 'FIELDS', 1, 'b');
      await src.hset('keyttl', 'x', '1', 'y', '2');
      await src.pexpire('keyttl', 5 * hour);
      await src.call('HPEXPIRE', 'keyttl', hour, 'FIELDS', 1, 'y');
      await src.hset('plain', 'p', '1');
      const big: string[] = [];
      for (let i = 0; i < 3000; i++) big.push(`f${i}`, `v${i}`);
      await src.hset('big', ...big);
      for (let i = 0; i < 3000; i += 7) await src.call('HPEXPIRE', 'big', hour + i, 'FIELDS', 1, `f${i}`);
      // A hash that only ever held field TTLs it has since lost (encoding stays listpackex): copied plain.
      await src.hset('persisted', 'q', '1');
      await src.call('HPEXPIRE', 'persisted', hour, 'FIELDS', 1, 'q');
      await src.call('HPERSIST', 'persisted', 'FIELDS', 1, 'q');
      const keys = ['small', 'keyttl', 'plain', 'big', 'persisted'];

      const report = await copyBetween(source.url, target.url, {
        mode: 'struct',
        checkpointFile: dir.file('same.json'),
      });
      expect(report).toMatchObject({ copied: keys.length, failed: 0, expired: 0 });

      const expected = await fieldExpiries(src, keys);
      expect(expected.small?.a).toBeGreaterThan(0);
      expect(Object.values(expected.big ?? {}).filter((at) => at > 0)).toHaveLength(429);
      expect(await fieldExpiries(dst, keys)).toEqual(expected);
      const keyBuffers = keys.map((k) => Buffer.from(k));
      expect(await expiries(dst, keyBuffers)).toEqual(await expiries(src, keyBuffers));
      // Redis 8.0's digest sees whether a field has a TTL: with the values, an independent check.
      expect(await digest(target)).toBe(await digest(source));
    }, 60_000);

    it('keeps them onto a Serverless-rules endpoint (declared keys, one slot per call)', async () => {
      const endpoint = await startServerlessEndpoint({ engine: 'redis-8.0' });
      const backend = endpoint.backend.client();
      try {
        const report = await copyBetween(
          source.url,
          { url: endpoint.url, ca: endpoint.ca },
          { mode: 'struct', checkpointFile: dir.file('serverless.json') },
        );
        expect(report).toMatchObject({ failed: 0, copied: 5 });
        const keys = ['small', 'keyttl', 'plain', 'big', 'persisted'];
        expect(await fieldExpiries(backend, keys)).toEqual(await fieldExpiries(src, keys));
      } finally {
        backend.disconnect();
        await endpoint.stop();
      }
    }, 60_000);

    it('auto mode restores DUMP payloads onto a target of the same version, field expiries included', async () => {
      const other = await startServer({ engine: 'redis-8.0' });
      const client = other.client();
      try {
        const report = await copyBetween(source.url, other.url, { checkpointFile: dir.file('auto.json') });
        expect(report).toMatchObject({ mode: 'dump', failed: 0 });
        const keys = ['small', 'keyttl', 'plain', 'big', 'persisted'];
        expect(await fieldExpiries(client, keys)).toEqual(await fieldExpiries(src, keys));
      } finally {
        client.disconnect();
        await other.stop();
      }
    }, 60_000);

    it('verify finds a lost, an added and a drifted field expiry, and repair restores them', async () => {
      // The copy of the first test is on the target, equal: nothing found yet.
      const clean = await verifyBetween(source.url, target.url, { mode: 'full', saveResult: false });
      expect(clean).toMatchObject({ ok: true, fieldTtlMismatch: 0 });

      await dst.call('HPERSIST', 'small', 'FIELDS', 1, 'a');
      await dst.call('HPEXPIRE', 'plain', hour, 'FIELDS', 1, 'p');
      const [bigAt] = (await src.call('HPEXPIRETIME', 'big', 'FIELDS', 1, 'f7')) as number[];
      await dst.call('HPEXPIREAT', 'big', bigAt! + 5000, 'FIELDS', 1, 'f7');
      // Within the tolerance (1 s by default): not a difference.
      const [keyAt] = (await src.call('HPEXPIRETIME', 'keyttl', 'FIELDS', 1, 'y')) as number[];
      await dst.call('HPEXPIREAT', 'keyttl', keyAt! + 500, 'FIELDS', 1, 'y');

      const found = await verifyBetween(source.url, target.url, {
        mode: 'full',
        saveResult: false,
        recheckAttempts: 1,
        recheckMs: 1,
      });
      expect(found).toMatchObject({ ok: false, fieldTtlMismatch: 3, valueMismatch: 0, ttlMismatch: 0 });
      expect(problemsByKey(found)).toEqual({
        small: 'field-ttl-lost',
        plain: 'field-ttl-added',
        big: 'field-ttl-drift',
      });

      const repaired = await verifyBetween(source.url, target.url, {
        mode: 'full',
        saveResult: false,
        repair: true,
      });
      expect(repaired).toMatchObject({ fieldTtlMismatch: 3, remaining: 0 });
      const keys = ['small', 'plain', 'big'];
      expect(await fieldExpiries(dst, keys)).toEqual(await fieldExpiries(src, keys));
    }, 60_000);

    it('leaves out a field whose expiry passed between read and write, never writing it without its TTL', async () => {
      const soonAt = Date.now() - 1;
      const laterAt = Date.now() + hour;
      const replies = await withPort(target.url, (port) =>
        writeKeys(
          port,
          [
            {
              key: Buffer.from('soon'),
              type: 'hash-ttl',
              expireAt: 0,
              payload: ['stay', '1', 0, 'go', '2', soonAt, 'later', '3', laterAt],
              bytes: 0,
            },
            // Every field gone: the key is counted as expired, not written empty.
            {
              key: Buffer.from('gone'),
              type: 'hash-ttl',
              expireAt: 0,
              payload: ['go', '2', soonAt],
              bytes: 0,
            },
          ],
          'replace',
        ),
      );
      expect(replies.map(String)).toEqual(['ok', 'expired']);
      expect(await dst.hgetall('soon')).toEqual({ stay: '1', later: '3' });
      expect(await fieldExpiries(dst, ['soon'])).toEqual({ soon: { stay: -1, later: laterAt } });
      expect(await dst.exists('gone')).toBe(0);
    }, 60_000);
  },
);

describe.skipIf(!hasEngine('redis-8.0'))(
  'hash-field expiry onto a target without them (needs redis-8.0)',
  () => {
    let source: TestServer;
    let src: Redis;
    const dir = tempDir();
    const timedBig = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 7 === 0);

    beforeAll(async () => {
      source = await startServer({ engine: 'redis-8.0' });
      src = source.client();
      await src.hset('small', 'a', '1', 'b', '2', 'c', '3');
      await src.call('HPEXPIRE', 'small', 3600_000, 'FIELDS', 2, 'a', 'b');
      const big: string[] = [];
      for (let i = 0; i < 3000; i++) big.push(`f${i}`, `v${i}`);
      await src.hset('big', ...big);
      for (const i of timedBig) await src.call('HPEXPIRE', 'big', 3600_000, 'FIELDS', 1, `f${i}`);
      await src.hset('plain', 'p', '1');
      await src.set('text', 'x');
    }, 60_000);

    afterAll(async () => {
      src?.disconnect();
      await stopAll();
      dir.remove();
    });

    const copy = (target: TestServer, ...flags: string[]) =>
      runCli([
        'copy',
        ...['--source', source.url, '--target', target.url, '--mode', 'struct', '--json', '--quiet'],
        ...['--checkpoint', dir.file(`${target.port}-${flags.join('')}.json`), ...flags],
      ]);

    it('counts hashes and fields that carry expiries in the dry run', async () => {
      const target = await startServer();
      const dry = await copy(target, '--dry-run');
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ fieldTtlKeys: 2, fieldTtlFields: 2 + timedBig.length });
    }, 60_000);

    for (const engine of engineMatrix('redis-7.0', 'valkey-8.1')) {
      it(`refuses before writing onto ${engine}, unless told to drop the expiries or skip their fields`, async () => {
        const target = await startServer({ engine });
        const dst = target.client();
        try {
          const refused = await copy(target);
          expect(refused.code).toBe(2);
          expect(refused.stderr.trim().split('\n')[0]).toMatch(
            new RegExp(`cannot hold hash-field expiries.*2 hashes.*\\(${2 + timedBig.length} fields\\)`),
          );
          expect(refused.stderr).not.toMatch(/\n\s+at /);
          expect(await dst.dbsize()).toBe(0);

          const dropped = await copy(target, '--field-ttl', 'drop');
          expect(dropped.code).toBe(0);
          const report = JSON.parse(dropped.stdout) as { copied: number; fieldTtlsGivenUp: unknown[] };
          expect(report.copied).toBe(4);
          expect(report.fieldTtlsGivenUp).toEqual(
            expect.arrayContaining([
              { key: 'small', fields: 2 },
              { key: 'big', fields: timedBig.length },
            ]),
          );
          expect(await dst.hgetall('small')).toEqual({ a: '1', b: '2', c: '3' });
          expect(await dst.hlen('big')).toBe(3000);

          await dst.flushall();
          const skipped = await copy(target, '--field-ttl', 'skip-fields');
          expect(skipped.code).toBe(0);
          expect(await dst.hgetall('small')).toEqual({ c: '3' });
          expect(await dst.hlen('big')).toBe(3000 - timedBig.length);
          expect(await dst.hexists('big', 'f7')).toBe(0);
          expect(await dst.hexists('big', 'f8')).toBe(1);
          expect(await dst.hgetall('plain')).toEqual({ p: '1' });
        } finally {
          dst.disconnect();
          await target.stop();
        }
      }, 60_000);
    }
  },
);
