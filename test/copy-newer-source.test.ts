/**
 * A source newer than its target, as Upstash is newer than ElastiCache: Redis 8.0's DUMP payloads carry an RDB version
 * Redis 7.0 and Valkey 8.1 refuse. `migrate copy` in auto mode must notice and copy type by type, every key exact.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { runCli } from './support/cli.js';
import { expectSameData } from './support/fidelity.js';
import {
  engineMatrix,
  expiries,
  hasEngine,
  startServer,
  stopAll,
  type TestServer,
} from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

describe.skipIf(!hasEngine('redis-8.0'))('copy from a Redis 8.0 source (needs redis-8.0)', () => {
  let source: TestServer;
  let sourceClient: Redis;
  let sourceKeys: Buffer[];
  const dir = tempDir();

  beforeAll(async () => {
    source = await startServer({ engine: 'redis-8.0' });
    sourceClient = source.client();
    // Big collections past the 1,000-element chunk: struct mode copies them in chunks.
    await seedFixtures(sourceClient, { bigSize: 5_000, withShortTtls: false });
    sourceKeys = await sourceClient.keysBuffer('*');
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  for (const engine of engineMatrix('redis-7.0', 'valkey-8.1')) {
    it(`lands in struct mode in auto mode onto ${engine}, which refuses its payloads, every key exact`, async () => {
      const target = await startServer({ engine });
      const targetClient = target.client();
      try {
        // The premise: this target refuses the source's payloads.
        const payload = await sourceClient.dumpBuffer(sourceKeys[0]!);
        await expect(targetClient.restore('probe', 0, payload)).rejects.toThrow(/payload version/);

        const checkpoint = dir.file(`${engine}.json`);
        const copy = await runCli([
          'copy',
          '--source',
          source.url,
          '--target',
          target.url,
          '--json',
          '--quiet',
          '--checkpoint',
          checkpoint,
        ]);
        expect(copy.stderr).toBe('');
        expect(copy.code).toBe(0);
        const report = JSON.parse(copy.stdout) as Record<string, unknown>;
        expect(report).toMatchObject({ mode: 'struct', copied: sourceKeys.length, failed: 0, expired: 0 });

        // Every key's value (key by key: the engines' digests differ), stream groups and IDs, and its
        // absolute expiry to the millisecond.
        await expectSameData(source, target);
        expect(await expiries(targetClient, sourceKeys)).toEqual(await expiries(sourceClient, sourceKeys));
      } finally {
        targetClient.disconnect();
        await target.stop();
      }
    }, 60_000);
  }
});
