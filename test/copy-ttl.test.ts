import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBetween } from './support/copy.js';
import { digest, startRedis, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TTL fidelity while keys expire during the copy', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let targetClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    targetClient = target.client();
  });
  afterAll(() => {
    sourceClient.disconnect();
    targetClient.disconnect();
    dir.remove();
  });

  for (const mode of ['struct', 'dump'] as const) {
    it(`in ${mode} mode counts keys that expire mid-copy as expired and never writes one without its TTL`, async () => {
      await sourceClient.flushall();
      await targetClient.flushall();
      const pipeline = sourceClient.pipeline();
      // 3000 keys (strings and hashes) expiring 50–1500 ms from now, copied at ~1000 keys/s: many expire mid-copy.
      for (let i = 0; i < 3000; i++) {
        const ttl = 50 + ((i * 7919) % 1450);
        if (i % 2 === 0) pipeline.set(`t:${i}`, `v${i}`, 'PX', ttl);
        else pipeline.hset(`t:${i}`, 'f', `v${i}`).pexpire(`t:${i}`, ttl);
      }
      for (let i = 0; i < 200; i++) pipeline.set(`keep:${i}`, 'forever');
      await pipeline.exec();

      const report = await copyBetween(source.url, target.url, {
        mode,
        batch: 20,
        concurrency: 1,
        rate: 50,
        checkpointFile: dir.file(`${mode}.json`),
      });
      expect(report.failed).toBe(0);
      expect(report.expired).toBeGreaterThan(0);
      expect(report.copied + report.expired).toBe(report.scanned);

      // Every short-lived key on the target still carries an expiry (or has just expired): none lost its TTL.
      for (const key of await targetClient.keys('t:*')) {
        expect(Number(await targetClient.pttl(key)), key).not.toBe(-1);
      }
      expect(report.durationMs).toBeGreaterThan(1000); // the rate cap made keys expire mid-copy
      await sleep(1600);
      expect(await targetClient.dbsize()).toBe(200);
      expect(await digest(target)).toBe(await digest(source));
    });
  }
});
