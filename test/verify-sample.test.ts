import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData } from '../fixtures/dataset.js';
import type { CopyReport } from '../src/copy/report.js';
import { detection } from '../src/verify/sample.js';
import { copyBetween } from './support/copy.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { verifyBetween } from './support/verify.js';

const KEYS = 10_000;

describe('sampled verify', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let targetClient: Redis;
  let copy: CopyReport;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    targetClient = target.client();
    await seedBenchData(sourceClient, { keys: KEYS, stringsOnly: true });
    copy = await copyBetween(source.url, target.url, { checkpointFile: dir.file('copy.json') });
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    targetClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  it('states its detection power as 1-(1-p)^n', () => {
    const [rare, onePercent, fivePercent] = detection(1000);
    expect(rare).toMatchObject({ differingShare: 0.001 });
    expect(rare!.probability).toBeCloseTo(0.6323, 3);
    expect(onePercent!.probability).toBeCloseTo(0.99996, 5);
    expect(fivePercent!.probability).toBeGreaterThan(0.999999);
  });

  it('passes a clean copy for a few source commands', async () => {
    const report = await verifyBetween(source.url, target.url, { sample: 1000 });
    expect(report).toMatchObject({ ok: true, mode: 'sample', remaining: 0 });
    expect(report.sample).toMatchObject({ method: 'randomkey', draws: 1000 });
    expect(report.sample!.distinct).toBe(report.checked);
    expect(report.checked).toBeGreaterThan(900); // with replacement: a few repeats
    // INFO server (the same-server check), DBSIZE + INFO keyspace, one RANDOMKEY script, one fingerprint script
    // for the whole sample (each script sent a second time as EVAL the first time a server sees it).
    expect(report.sourceCommands).toBeLessThanOrEqual(7);
    const again = await verifyBetween(source.url, target.url, { sample: 1000 });
    expect(again.sourceCommands).toBe(5);
  });

  it('costs the source no more commands per key in full mode than the copy did', async () => {
    const report = await verifyBetween(source.url, target.url, { mode: 'full' });
    expect(report).toMatchObject({ ok: true, checked: KEYS, targetScanned: KEYS });
    expect(report.sourceCommands / KEYS).toBeLessThanOrEqual(copy.sourceCommands / copy.scanned);
  });

  it('finds a 5% corruption in a 10k-key dataset, at about its rate', async () => {
    const corrupted: string[] = [];
    for (let i = 0; i < KEYS; i += 20) corrupted.push(`bench:string:${i}`);
    const pipeline = targetClient.pipeline();
    for (const key of corrupted) pipeline.set(key, 'corrupted', 'KEEPTTL');
    await pipeline.exec();
    try {
      const report = await verifyBetween(source.url, target.url, { sample: 1000 });
      expect(report.ok).toBe(false);
      // 5% of ~1,000 keys: 50 expected; 20-90 is more than four standard deviations either side.
      expect(report.valueMismatch).toBeGreaterThan(20);
      expect(report.valueMismatch).toBeLessThan(90);
      expect(report.examples).toHaveLength(10);
      for (const example of report.examples) {
        expect(corrupted).toContain(example.key);
        expect(example).toMatchObject({ problem: 'value' });
        expect(example.target).toContain('corrupted');
      }
    } finally {
      const restore = targetClient.pipeline();
      for (const key of corrupted) restore.set(key, (await sourceClient.get(key)) ?? '', 'KEEPTTL');
      await restore.exec();
    }
  });

  it('draws an exactly uniform reservoir sample over a SCAN when --match narrows the keys', async () => {
    const report = await verifyBetween(source.url, target.url, { sample: 100, match: 'bench:string:1*' });
    expect(report).toMatchObject({ ok: true, checked: 100 });
    expect(report.sample).toMatchObject({ method: 'reservoir', draws: 100, distinct: 100 });

    const all = await verifyBetween(source.url, target.url, { sample: 5_000, match: 'bench:string:99*' });
    expect(all.sample?.method).toBe('all');
    expect(all.checked).toBe(111); // 99, 990-999, 9900-9999
  });
});
