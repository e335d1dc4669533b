/**
 * Invariant 4, to the millisecond: every key with a TTL has the same PEXPIRETIME on the target as on the source,
 * whatever wrote it (struct copy, dump copy, a resumed copy, sync's re-copies, chunked big keys), and verify sees a
 * drift of one millisecond. Without Docker the source is the local redis-server (7.0 here), whose PTTL follows the
 * clock inside a script: copies that added a PTTL to a TIME read beside it left thousands of keys 1-5 ms early.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, seedFixtures } from '../fixtures/dataset.js';
import { type CopyOptions, type CopyRun, defaultVerifyOptions } from '../src/index.js';
import { copyBetween } from './support/copy.js';
import { allKeys } from './support/fidelity.js';
import { expiries, flushAll, startRedis, stopAll, type TestServer } from './support/servers.js';
import { notifyArgs, syncWhile, waitFor } from './support/sync.js';
import { tempDir } from './support/temp-dir.js';
import { verifyBetween } from './support/verify.js';

afterAll(stopAll);

const HOUR = 3_600_000;

/** Keys whose absolute expiry differs, with both values; and how many source keys have a TTL. */
async function expiryDifferences(source: Redis, target: Redis) {
  const keys = await allKeys(source);
  const [want, got] = await Promise.all([expiries(source, keys), expiries(target, keys)]);
  const differences: Array<{ key: string; source: number; target: number | undefined }> = [];
  let withTtl = 0;
  for (const [key, at] of want) {
    if (at < 0) continue;
    withTtl++;
    if (got.get(key) !== at) differences.push({ key, source: at, target: got.get(key) });
  }
  return { withTtl, differences };
}

describe('absolute expiry copied to the millisecond', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let targetClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis({ args: notifyArgs }), startRedis()]);
    sourceClient = source.client();
    targetClient = target.client();
    // 20,000 mixed keys, half of them expiring in 1-24 h, and the fixtures' big keys (one with a TTL, copied in chunks).
    await seedBenchData(sourceClient, { keys: 20_000 });
    await seedFixtures(sourceClient, { bigSize: 3_000, withShortTtls: false });
  }, 120_000);
  afterAll(() => {
    sourceClient.disconnect();
    targetClient.disconnect();
    dir.remove();
  });

  const copy = (options: Partial<CopyOptions> & { checkpointFile: string }, run: CopyRun = {}) =>
    copyBetween(source.url, target.url, { onConflict: 'replace', ...options }, run);

  const expectExact = async () => {
    const { withTtl, differences } = await expiryDifferences(sourceClient, targetClient);
    expect(withTtl).toBeGreaterThan(9_000);
    expect(differences.slice(0, 10), `${differences.length} keys differ`).toEqual([]);
  };

  for (const mode of ['struct', 'dump'] as const) {
    it(`in ${mode} mode`, async () => {
      await flushAll(target);
      const report = await copy({ mode, checkpointFile: dir.file(`${mode}.json`) });
      expect(report).toMatchObject({ mode, failed: 0, interrupted: false });
      await expectExact();
    });

    it(`in ${mode} mode, interrupted and resumed`, async () => {
      await flushAll(target);
      const checkpointFile = dir.file(`${mode}-resume.json`);
      const stop = new AbortController();
      const first = await copy(
        { mode, checkpointFile, batch: 200, concurrency: 1 },
        {
          signal: stop.signal,
          onProgress: (progress) => {
            if (progress.counts.scanned >= 4_000) stop.abort();
          },
        },
      );
      expect(first.interrupted).toBe(true);
      const resumed = await copy({ mode, checkpointFile, resume: true });
      expect(resumed).toMatchObject({ resumed: true, interrupted: false, failed: 0 });
      await expectExact();
    });
  }

  it("in sync's re-copies of changed keys, chunked big keys included", async () => {
    await flushAll(target);
    // The initial copy is the copy's own pass (above); here the target starts as a copy, and sync re-copies changes.
    await copy({ mode: 'struct', checkpointFile: dir.file('before-sync.json') });
    const keys = await allKeys(sourceClient);
    // Treated as Upstash: big keys are then re-copied in chunks, never with DUMP/RESTORE.
    const { report } = await syncWhile(
      source,
      target,
      async ({ latest }) => {
        const pipeline = sourceClient.pipeline();
        const now = Date.now();
        keys.forEach((key, i) => {
          if (i % 3 === 0) pipeline.pexpireat(key, now + HOUR + ((i * 7919) % HOUR));
        });
        pipeline.pexpireat('fx:big:hash', now + 2 * HOUR + 17);
        pipeline.pexpireat('fx:big:list', now + 3 * HOUR + 29);
        const sent = pipeline.length;
        await pipeline.exec();
        // Caught up means nothing left of what was seen: first see every change.
        await waitFor('every change seen', () => (latest()?.events ?? 0) >= sent, 30_000);
      },
      { skipInitialCopy: true },
      true,
    );
    expect(report.drained).toBe(true);
    expect(report.applied).toBeGreaterThan(5_000);
    await expectExact();
  }, 60_000);

  it("from a source without PEXPIRETIME, falls back to PTTL beside TIME: never late, early by less than verify's tolerance", async () => {
    // An ACL that denies PEXPIRETIME stands in for Redis 6, which lacks it; the scripts refuse nothing else.
    await sourceClient.call(
      'ACL',
      'SETUSER',
      'pttl-only',
      'on',
      '>pttl-pw',
      '~*',
      '&*',
      '+@all',
      '-pexpiretime',
    );
    await sourceClient.call('ACL', 'LOG', 'RESET');
    const url = `redis://pttl-only:pttl-pw@${source.host}:${source.port}`;
    for (const mode of ['struct', 'dump'] as const) {
      await flushAll(target);
      const report = await copyBetween(url, target.url, {
        onConflict: 'replace',
        mode,
        checkpointFile: dir.file(`pttl-${mode}.json`),
      });
      expect(report.failed).toBe(0);
      const { withTtl, differences } = await expiryDifferences(sourceClient, targetClient);
      expect(withTtl).toBeGreaterThan(9_000);
      const off = differences.map(({ source: at, target: copied }) => (copied ?? 0) - at);
      expect(Math.max(0, ...off), mode).toBe(0);
      // How early depends on how long the source was descheduled mid-script: a loaded machine, not the code.
      expect(Math.min(0, ...off), mode).toBeGreaterThan(-defaultVerifyOptions.ttlToleranceMs);
    }
    const verified = await verifyBetween(url, target.url, { mode: 'full', saveResult: false });
    expect(verified).toMatchObject({ ttlMismatch: 0, valueMismatch: 0, missing: 0 });
    // The scripts did ask for PEXPIRETIME, were refused, and went on with PTTL.
    const denied = ((await sourceClient.call('ACL', 'LOG')) as unknown[][]).map((entry) => entry.map(String));
    expect(denied.some((entry) => entry.join(' ').includes('context lua object pexpiretime'))).toBe(true);
  });

  it('and verify tells a one-millisecond drift from an exact copy', async () => {
    await flushAll(target);
    await copy({ mode: 'struct', checkpointFile: dir.file('verify.json') });
    const exact = await verifyBetween(source.url, target.url, {
      mode: 'full',
      ttlToleranceMs: 0,
      saveResult: false,
    });
    expect(exact).toMatchObject({ ttlMismatch: 0, valueMismatch: 0, missing: 0 });
    const moved = 'fx:ttl:minutes';
    await targetClient.pexpireat(moved, (await sourceClient.pexpiretime(moved)) + 1);
    const drifted = await verifyBetween(source.url, target.url, {
      mode: 'full',
      ttlToleranceMs: 0,
      saveResult: false,
    });
    expect(drifted.ttlMismatch).toBe(1);
    expect(drifted.examples.map((example) => [example.key, example.problem])).toEqual([[moved, 'ttl-drift']]);
  });
});
