/**
 * Copy from an Upstash REST source (the REST test server in front of a real redis-server) to a standalone and to a
 * cluster target: the full fixture dataset arrives byte-exact (DEBUG DIGEST), with its expiries and stream groups,
 * and a small-key dataset costs at most 0.1 billed source commands per key. In the container world, where its image
 * was pulled, the copy also runs from hiett/serverless-redis-http, a second implementation of Upstash's REST protocol.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, seedFixtures } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { type CopyOptions, defaultCopyOptions } from '../src/copy/options.js';
import { estimateCostUsd } from '../src/keys/cost.js';
import { openEndpoint } from '../src/redis/connect.js';
import { defaultVerifyOptions, type VerifyOptions } from '../src/verify/options.js';
import { verifyKeys } from '../src/verify/verify-keys.js';
import { expectSameData, tempCheckpoint } from './support/fidelity.js';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import {
  digest,
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';
import { type SrhServer, startSrh, whySrhCannotRun } from './support/srh-container.js';

let sourceServer: TestServer;
let source: Redis;
let rest: TestRestServer;
let standalone: TestServer;
let cluster: TestCluster;

const options = (overrides: Partial<CopyOptions> = {}): CopyOptions => ({
  ...defaultCopyOptions,
  mode: 'struct',
  onConflict: 'replace',
  checkpointFile: tempCheckpoint(),
  ...overrides,
});

beforeAll(async () => {
  [sourceServer, standalone, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
  source = sourceServer.client();
  rest = await startRestServer(sourceServer);
}, 60_000);
afterAll(async () => {
  source?.disconnect();
  await stopAll();
});

async function copyFromRest(targetUrl: string, overrides: Partial<CopyOptions> = {}) {
  const from = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
  const to = await openEndpoint({ role: 'target', url: targetUrl });
  rest.resetCounts(); // the connect PING is not part of the copy
  try {
    return await copyKeys(from, to, options(overrides));
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
}

describe('copy from a REST source', () => {
  beforeAll(async () => {
    await flushAll(sourceServer);
    await seedFixtures(source, { bigSize: 2_000, withShortTtls: false });
  });

  it('copies the full fixture dataset to a standalone target, byte-exact', async () => {
    const report = await copyFromRest(standalone.url);
    expect(report.failed).toBe(0);
    expect(report.copied).toBe(await source.dbsize());
    await expectSameData(sourceServer, standalone);
  });

  it('copies the full fixture dataset to a cluster target, byte-exact', async () => {
    const report = await copyFromRest(cluster.url);
    expect(report.failed).toBe(0);
    await expectSameData(sourceServer, cluster);
  });

  it('verifies the copy through the REST source, full and sampled, and finds a changed byte', async () => {
    const verify = async (options: Partial<VerifyOptions>) => {
      const from = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
      const to = await openEndpoint({ role: 'target', url: cluster.url });
      rest.resetCounts();
      try {
        const report = await verifyKeys(from, to, { ...defaultVerifyOptions, recheckMs: 10, ...options });
        expect(report.sourceCommands).toBe(rest.commands);
        return report;
      } finally {
        await Promise.all([from.close(), to.close()]);
      }
    };
    const keys = await source.dbsize();
    expect(await verify({ mode: 'full' })).toMatchObject({ ok: true, checked: keys, missing: 0, extra: 0 });
    expect(await verify({ mode: 'sample', sample: 200 })).toMatchObject({ ok: true });
    const target: Cluster = cluster.client();
    try {
      const binary = Buffer.from([0xff, 0x00, 0xfe, 0x7b]); // not valid UTF-8
      await source.set(binary, Buffer.from([0x00, 0x01]));
      await target.set(binary, Buffer.from([0x00, 0x02]));
      const report = await verify({ mode: 'full' });
      expect(report).toMatchObject({ ok: false, valueMismatch: 1 });
      await target.set(binary, Buffer.from([0x00, 0x01]));
    } finally {
      target.disconnect();
    }
  });

  it('copies in dump mode too when the target proves it accepts the payloads', async () => {
    await flushAll(standalone);
    const report = await copyFromRest(standalone.url, { mode: 'auto' });
    expect(report.mode).toBe('dump');
    expect(report.failed).toBe(0);
    expect(await digest(standalone)).toBe(await digest(sourceServer));
  });
});

describe('what a REST copy costs', () => {
  it('spends at most 0.1 billed source commands per key on small keys', async () => {
    await flushAll(sourceServer);
    await flushAll(standalone);
    await seedBenchData(source, { keys: 5_000 });
    const report = await copyFromRest(standalone.url);
    expect(report.failed).toBe(0);
    expect(await digest(standalone)).toBe(await digest(sourceServer));
    const perKey = rest.commands / report.scanned;
    console.info(
      `REST source: ${rest.commands} billed commands for ${report.scanned} keys = ${perKey.toFixed(4)} per key`,
    );
    expect(report.sourceCommands).toBe(rest.commands);
    expect(perKey).toBeLessThanOrEqual(0.1);
    expect(report.estimatedCostUsd).toBe(estimateCostUsd(rest.commands));
  });
});

// Upstash's protocol as a second, independent server implements it; skipped, with the reason, where it cannot run.
const srhMissing = await whySrhCannotRun();
const srhTitle = `copy from serverless-redis-http (SRH)${srhMissing ? ` - skipped: ${srhMissing}` : ''}`;
describe.skipIf(srhMissing !== undefined)(srhTitle, () => {
  let srh: SrhServer;
  beforeAll(async () => {
    srh = await startSrh();
    const seeded = srh.redis.client();
    await seedFixtures(seeded, { bigSize: 2_000, withShortTtls: false });
    seeded.disconnect();
  }, 180_000);
  afterAll(() => srh?.stop());

  it('copies the full fixture dataset to standalone and cluster targets, byte-exact', async () => {
    for (const target of [standalone, cluster]) {
      await flushAll(target);
      const from = await openEndpoint({ role: 'source', url: srh.url, token: srh.token });
      const to = await openEndpoint({ role: 'target', url: target.url });
      try {
        const report = await copyKeys(from, to, options());
        expect(report.failed).toBe(0);
      } finally {
        await Promise.all([from.close(), to.close()]);
      }
      await expectSameData(srh.redis, target);
    }
  }, 120_000);
});
