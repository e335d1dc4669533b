/** What Upstash bills ($0.20 per 100K commands), and a dry run that estimates a REST copy before writing anything. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { surveyKeys } from '../src/copy/dry-run.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { estimateCostUsd } from '../src/keys/cost.js';
import { openEndpoint } from '../src/redis/connect.js';
import { tempCheckpoint } from './support/fidelity.js';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

describe('estimateCostUsd', () => {
  it.each([
    [0, 0],
    [100_000, 0.2],
    [1_000_000, 2],
    [1_234_567, 2.4691],
  ])('%d commands cost $%d', (commands, usd) => {
    expect(estimateCostUsd(commands)).toBe(usd);
  });
});

describe('a dry run from a REST source', () => {
  let sourceServer: TestServer;
  let target: TestServer;
  let rest: TestRestServer;
  let client: Redis;

  beforeAll(async () => {
    [sourceServer, target] = await Promise.all([startRedis(), startRedis()]);
    client = sourceServer.client();
    await seedBenchData(client, { keys: 4_000 });
    rest = await startRestServer(sourceServer);
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await stopAll();
  });

  it('estimates what the copy then bills, within a few commands', async () => {
    const source = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
    const to = await openEndpoint({ role: 'target', url: target.url });
    try {
      const options = { ...defaultCopyOptions, mode: 'struct' as const, checkpointFile: tempCheckpoint() };
      const survey = await surveyKeys(source, { ...options, dryRun: true });
      expect(survey.scanned).toBe(4_000);
      expect(await to.exec([{ name: 'DBSIZE', args: [] }])).toEqual([0]);
      const report = await copyKeys(source, to, options);
      expect(Math.abs(report.sourceCommands - survey.estimatedSourceCommands)).toBeLessThanOrEqual(6);
      expect(survey.estimatedCostUsd).toBe(estimateCostUsd(survey.estimatedSourceCommands));
    } finally {
      await Promise.all([source.close(), to.close()]);
    }
  });
});
