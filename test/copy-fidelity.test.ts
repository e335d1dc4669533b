import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyBetween } from './support/copy.js';
import { expectSameData } from './support/fidelity.js';
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

// A Redis 7.0 source to the targets users have: Redis OSS 7 and Valkey (as built; else the fallback, once).
const targetEngines = engineMatrix('redis-7.0', 'valkey-8.1');

describe('copy fidelity: every type, binary-safe, TTLs kept', () => {
  let source: TestServer;
  let sourceClient: Redis;
  let sourceKeys: number;
  const dir = tempDir();

  beforeAll(async () => {
    source = await startRedis();
    sourceClient = source.client();
    // 20k-element collections with 500-element chunks: every big key is copied in many chunks.
    await seedFixtures(sourceClient, { bigSize: 20_000, withShortTtls: false });
    sourceKeys = await sourceClient.dbsize();
    // The dataset must exercise expiries: some keys carry a TTL.
    expect(Number(/expires=(\d+)/.exec(await sourceClient.info('keyspace'))?.[1])).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  for (const engine of targetEngines) {
    describe(`to ${engine}`, () => {
      let standalone: TestServer;
      let cluster: TestCluster;
      beforeAll(async () => {
        [standalone, cluster] = await Promise.all([startServer({ engine }), startCluster({ engine })]);
      }, 60_000);
      afterAll(async () => {
        await Promise.all([standalone?.stop(), cluster?.stop()]);
      });

      const targets = () => ({ standalone, cluster });
      for (const mode of ['struct', 'dump'] as const) {
        for (const kind of ['standalone', 'cluster'] as const) {
          it(`copies every type in ${mode} mode to a ${kind} ${engine} target, equal by value digests and absolute expiry`, async () => {
            const target = targets()[kind];
            await flushAll(target);
            const report = await copyBetween(source.url, target.url, {
              mode,
              chunkSize: 500,
              checkpointFile: dir.file(`${engine}-${mode}-${kind}.json`),
            });
            expect(report).toMatchObject({ mode, failed: 0, expired: 0, interrupted: false });
            expect(report.copied).toBe(sourceKeys);
            // Values by DEBUG DIGEST (key by key across engines); then every absolute expiry (±2 ms), stream
            // groups and stream ID state, which the digest does not see.
            await expectSameData(source, target);
          }, 60_000);
        }
      }
    });
  }
});
