/** Proves the test harness itself: servers start, fixtures seed, and the digest oracle is sound. */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TYPES, seedBenchData, seedFixtures, seedTypeSamples } from '../fixtures/dataset.js';
import { expectSameValues } from './support/fidelity.js';
import {
  combineDigests,
  digest,
  type EngineName,
  engineMatrix,
  expiries,
  flushAll,
  hasEngine,
  startCluster,
  startRedis,
  startServer,
  stopAll,
  type TestCluster,
  type TestServer,
  testEngines,
} from './support/servers.js';
import { valuesByKey } from './support/values-by-key.js';

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

/** What the server itself says it is: Valkey reports valkey_version (and redis_version 7.2.4, for compatibility). */
async function reportedEngine(server: TestServer): Promise<string> {
  const client = server.client();
  try {
    const info = await client.info('server');
    const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
    const valkey = field('valkey_version');
    return valkey ? `valkey ${valkey}` : `redis ${field('redis_version')}`;
  } finally {
    client.disconnect();
  }
}

describe('engines', () => {
  const ALL: EngineName[] = ['redis-7.0', 'valkey-8.1', 'redis-8.0'];

  it('starts each engine it names, or the announced fallback, and says which one really runs', async () => {
    for (const name of ALL) {
      const server = await startServer({ engine: name });
      const runs = hasEngine(name) ? name : 'redis-7.0';
      expect(server.engine.name).toBe(runs);
      expect(await reportedEngine(server)).toBe(`${server.engine.product} ${server.engine.version}`);
      expect(server.engine.version.startsWith(`${runs.split('-')[1]}.`)).toBe(true);
      await server.stop();
    }
    // A suite parameterized over engines runs on each built one, and on the fallback once.
    expect(engineMatrix(...ALL)).toEqual(testEngines());
  }, 30_000);

  it('starts a cluster of one engine', async () => {
    const engine = engineMatrix('valkey-8.1').at(0)!;
    const cluster = await startCluster({ engine });
    expect(cluster.engine.name).toBe(engine);
    for (const node of cluster.nodes) expect(node.engine).toEqual(cluster.engine);
    await cluster.stop();
  }, 30_000);

  it.skipIf(!hasEngine('valkey-8.1'))(
    'compares equal data across engines key by key, where DEBUG DIGEST of equal sorted sets differs (needs valkey-8.1)',
    async () => {
      const [redis, valkey] = await Promise.all([startRedis(), startServer({ engine: 'valkey-8.1' })]);
      const [redisClient, valkeyClient] = [redis.client(), valkey.client()];
      await seedFixtures(redisClient, { ...SMALL, withShortTtls: false });
      await seedFixtures(valkeyClient, { ...SMALL, withShortTtls: false });
      // The trap the oracle exists for: the digests differ, and only because of sorted sets.
      expect(await digest(valkey)).not.toBe(await digest(redis));
      for (const key of await redisClient.keys('*')) {
        if ((await redisClient.type(key)) === 'zset')
          await Promise.all([redisClient.del(key), valkeyClient.del(key)]);
      }
      expect(await digest(valkey)).toBe(await digest(redis));
      await Promise.all([flushAll(redis), flushAll(valkey)]);

      await seedFixtures(redisClient, { ...SMALL, withShortTtls: false });
      await seedFixtures(valkeyClient, { ...SMALL, withShortTtls: false });
      await expectSameValues(redis, valkey);
      // ...and it still sees the smallest change of a score.
      await valkeyClient.zincrby('fx:zset:scores', 1e-9, 'answer');
      const [want, got] = await Promise.all([valuesByKey(redis), valuesByKey(valkey)]);
      const differing = [...want.keys()].filter((key) => want.get(key) !== got.get(key));
      expect(differing).toEqual(['fx:zset:scores']);
      redisClient.disconnect();
      valkeyClient.disconnect();
    },
    30_000,
  );
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
