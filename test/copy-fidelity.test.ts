import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyBetween } from './support/copy.js';
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

/** Every key's absolute expiry (PEXPIRETIME) on a client, by key bytes. */
async function expiryMap(client: Redis | Cluster, keys: Buffer[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const key of keys) out.set(key.toString('latin1'), Number(await client.call('PEXPIRETIME', key)));
  return out;
}

async function allKeys(client: Redis): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, page] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...page);
  } while (cursor !== '0');
  return keys;
}

describe('copy fidelity: every type, binary-safe, TTLs kept', () => {
  let source: TestServer;
  let standalone: TestServer;
  let cluster: TestCluster;
  let sourceClient: Redis;
  let sourceDigest: string;
  let sourceExpiries: Map<string, number>;
  const dir = tempDir();

  beforeAll(async () => {
    [source, standalone, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
    sourceClient = source.client();
    // 20k-element collections with 500-element chunks: every big key is copied in many chunks.
    await seedFixtures(sourceClient, { bigSize: 20_000, withShortTtls: false });
    sourceDigest = await digest(source);
    sourceExpiries = await expiryMap(sourceClient, await allKeys(sourceClient));
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
        expect(report.copied).toBe(sourceExpiries.size);
        expect(await digest(target)).toBe(sourceDigest);

        const client = target.client();
        try {
          const keys = [...sourceExpiries.keys()].map((k) => Buffer.from(k, 'latin1'));
          const copied = await expiryMap(client, keys);
          let withTtl = 0;
          for (const [key, expireAt] of sourceExpiries) {
            if (expireAt > 0) withTtl++;
            // Absolute expiry kept: same instant within clock tolerance, never lost or added.
            expect(Math.abs((copied.get(key) ?? -2) - expireAt), key).toBeLessThanOrEqual(
              expireAt > 0 ? 50 : 0,
            );
          }
          expect(withTtl).toBeGreaterThan(0);
        } finally {
          client.disconnect();
        }
      }, 60_000);
    }
  }

  it('keeps stream consumer groups with their last-delivered IDs and the stream ID state', async () => {
    await flushAll(standalone);
    await copyBetween(source.url, standalone.url, {
      mode: 'struct',
      checkpointFile: dir.file('groups.json'),
    });
    const target = standalone.client();
    try {
      const streams = (await allKeys(sourceClient)).filter(
        async (key) => (await sourceClient.type(key)) === 'stream',
      );
      let compared = 0;
      for (const key of streams) {
        if ((await sourceClient.type(key)) !== 'stream') continue;
        const groups = (k: Buffer, c: Redis) => c.call('XINFO', 'GROUPS', k);
        expect(await groups(key, target)).toEqual(await groups(key, sourceClient));
        const info = async (c: Redis) => {
          const flat = (await c.call('XINFO', 'STREAM', key)) as unknown[];
          const pick = (name: string) => flat[flat.indexOf(name) + 1];
          return [
            pick('last-generated-id'),
            pick('entries-added'),
            pick('max-deleted-entry-id'),
            pick('length'),
          ];
        };
        expect(await info(target)).toEqual(await info(sourceClient));
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    } finally {
      target.disconnect();
    }
  }, 60_000);
});
