/** Proves the test harness itself: servers start, fixtures seed, and the digest oracle is sound. */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TYPES, seedBenchData, seedFixtures, seedTypeSamples } from '../fixtures/dataset.js';
import {
  combineDigests,
  digest,
  expiries,
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';

const SMALL = { bigSize: 2_000 };

afterAll(stopAll);

describe('standalone server', () => {
  let server: TestServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedis();
    client = server.client();
  }, 30_000);
  afterAll(() => client?.disconnect());

  it('seeds every fixture key, and short TTLs expire', async () => {
    const { keys } = await seedFixtures(client, SMALL);
    expect(await client.dbsize()).toBe(keys);
    const [, found] = await client.scan('0', 'MATCH', 'fx:*', 'COUNT', 10_000);
    expect(found).toHaveLength(keys);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await client.dbsize()).toBe(keys - 4);
  });

  it('has a 40-hex digest that changes with any value and is all zeros when empty', async () => {
    const before = await digest(server);
    expect(before).toMatch(/^[0-9a-f]{40}$/);
    expect(await digest(client)).toBe(before);
    await client.hset('fx:hash:small', 'field', 'changed');
    expect(await digest(server)).not.toBe(before);
    await flushAll(server);
    expect(await digest(server)).toBe('0'.repeat(40));
  });

  it('reads absolute expiries (-1 without TTL, -2 missing)', async () => {
    await client.set('fx:a', '1', 'PXAT', Date.now() + 60_000);
    await client.set('fx:b', '1');
    const found = await expiries(client, [Buffer.from('fx:a'), Buffer.from('fx:b'), Buffer.from('fx:none')]);
    expect(found.get('fx:a')).toBeGreaterThan(Date.now());
    expect(found.get('fx:b')).toBe(-1);
    expect(found.get('fx:none')).toBe(-2);
  });

  it('seeds one key of each type', async () => {
    const keys = await seedTypeSamples(client, 'sample:');
    const types = await Promise.all(SAMPLE_TYPES.map((t) => client.type(keys[t])));
    expect(types).toEqual(['string', 'hash', 'list', 'set', 'zset', 'stream', 'string']);
  });

  it('restarts on the same port with the data gone, after a crash', async () => {
    await client.set('fx:survives', 'no');
    await server.kill('SIGKILL');
    await server.restart();
    const again = server.client();
    expect(await again.exists('fx:survives')).toBe(0);
    again.disconnect();
  }, 15_000);
});

describe('cluster', () => {
  let cluster: TestCluster;
  let standalone: TestServer;
  let clusterClient: Cluster;
  let standaloneClient: Redis;

  beforeAll(async () => {
    [cluster, standalone] = await Promise.all([startCluster(), startRedis()]);
    clusterClient = cluster.client();
    standaloneClient = standalone.client();
  }, 60_000);
  afterAll(() => {
    clusterClient?.disconnect();
    standaloneClient?.disconnect();
  });

  it('starts 3 masters covering all slots', async () => {
    expect(cluster.nodes).toHaveLength(3);
    const slots = await clusterClient.cluster('SLOTS');
    const covered = slots.reduce((sum, [from, to]) => sum + Number(to) - Number(from) + 1, 0);
    expect(covered).toBe(16_384);
  });

  it('holds the fixtures with the same digest as a standalone server', async () => {
    const options = { ...SMALL, withShortTtls: false };
    const inCluster = await seedFixtures(clusterClient, options);
    const alone = await seedFixtures(standaloneClient, options);
    expect(inCluster.keys).toBe(alone.keys);
    const sizes = await Promise.all(clusterClient.nodes('master').map((node) => node.dbsize()));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(alone.keys);
    expect(await digest(cluster)).toBe(await digest(standalone));
    expect(await digest(clusterClient)).toBe(await digest(standaloneClient));
  }, 30_000);

  it('holds deterministic benchmark data identical to a standalone server', async () => {
    await Promise.all([flushAll(cluster), flushAll(standalone)]);
    await seedBenchData(clusterClient, { keys: 3_000 });
    await seedBenchData(standaloneClient, { keys: 3_000 });
    expect(await standaloneClient.dbsize()).toBe(3_000);
    expect(await digest(cluster)).toBe(await digest(standalone));
  }, 30_000);
});

describe('combineDigests', () => {
  // Measured on redis-server 7.0: server A holds key a, B holds b, C holds both.
  const a = '943d800368fb9c0e951138f1bc0e313ac769d91f';
  const b = '43f25254b30b4502d35b14b8588d2be6bac05311';
  const both = '7dff4aa4711992a6870417c26949f355d23a7cac';

  it('equals the digest of one server holding every key, for any number of non-empty masters', () => {
    expect(combineDigests([a, b])).toBe(both);
    expect(combineDigests([a, '0'.repeat(40), b])).toBe(both);
    expect(combineDigests([a])).toBe(a);
    expect(combineDigests(['0'.repeat(40)])).toBe('0'.repeat(40));
  });
});
