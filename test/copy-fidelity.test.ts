import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyBetween } from './support/copy.js';
import { expectSameKeys } from './support/fidelity.js';
import {
  digest,
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

describe('copy fidelity: every type, binary-safe, TTLs kept', () => {
  let source: TestServer;
  let standalone: TestServer;
  let cluster: TestCluster;
  let sourceClient: Redis;
  let sourceDigest: string;
  let sourceKeys: number;
  const dir = tempDir();

  beforeAll(async () => {
    [source, standalone, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
    sourceClient = source.client();
    // 20k-element collections with 500-element chunks: every big key is copied in many chunks.
    await seedFixtures(sourceClient, { bigSize: 20_000, withShortTtls: false });
    sourceDigest = await digest(source);
    sourceKeys = await sourceClient.dbsize();
    // The dataset must exercise expiries: some keys carry a TTL.
    expect(Number(/expires=(\d+)/.exec(await sourceClient.info('keyspace'))?.[1])).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  const targets = () => ({ standalone, cluster });
  for (const mode of ['struct', 'dump'] as const) {
    for (const kind of ['standalone', 'cluster'] as const) {
      it(`copies every type in ${mode} mode to a ${kind} target, equal by DEBUG DIGEST and absolute expiry`, async () => {
        const target = targets()[kind];
        await flushAll(target);
        const report = await copyBetween(source.url, target.url, {
          mode,
          chunkSize: 500,
          checkpointFile: dir.file(`${mode}-${kind}.json`),
        });
        expect(report).toMatchObject({ mode, failed: 0, expired: 0, interrupted: false });
        expect(report.copied).toBe(sourceKeys);
        expect(await digest(target)).toBe(sourceDigest);

        // What the digest does not see: every absolute expiry (±2 ms), stream groups and stream ID state.
        const client = target.client();
        try {
          await expectSameKeys(sourceClient, client);
        } finally {
          client.disconnect();
        }
      }, 60_000);
    }
  }
});
