/** Shared by the sync tests: a writer that changes every type at random, and data comparison without reserved keys. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import type { SyncStatus } from '../../src/control/sync-status.js';
import { openEndpoint } from '../../src/redis/connect.js';
import type { RedisPort } from '../../src/redis/port.js';
import type { ReconnectPolicy } from '../../src/redis/reconnect.js';
import { defaultSyncOptions, type SyncOptions } from '../../src/sync/options.js';
import { syncKeys } from '../../src/sync/sync-keys.js';
import { expectSameValues } from './fidelity.js';
import { digest, type TestCluster, type TestServer } from './servers.js';

export const notifyArgs = ['--notify-keyspace-events', 'KEA'];

export const tempStateDir = (): string => mkdtempSync(join(tmpdir(), 'migrate-sync-state-'));

const families = ['str', 'ttl', 'counter', 'hash', 'list', 'set', 'zset', 'stream', 'hll'] as const;
const rand = (n: number) => Math.floor(Math.random() * n);

/** One random change of any kind: writes of every type, DEL, EXPIRE, PERSIST, RENAME and short TTLs that expire. */
function randomChange(prefix: string, pipeline: ReturnType<Redis['pipeline']>): void {
  const family = families[rand(families.length)]!;
  const key = `${prefix}${family}:${rand(25)}`;
  const other = `${prefix}${family}:${rand(25)}`;
  const roll = rand(20);
  if (roll === 0) pipeline.del(key);
  else if (roll === 1) pipeline.pexpire(key, 200 + rand(800));
  else if (roll === 2) pipeline.persist(key);
  else if (roll === 3) pipeline.rename(key, other);
  else if (family === 'str') pipeline.set(key, `v${rand(1e6)}`);
  else if (family === 'ttl') pipeline.set(key, `t${rand(1e6)}`, 'PX', 100 + rand(600));
  else if (family === 'counter') pipeline.incrby(key, rand(10));
  else if (family === 'hash')
    roll % 3 ? pipeline.hset(key, `f${rand(20)}`, rand(100)) : pipeline.hdel(key, `f${rand(20)}`);
  else if (family === 'list') roll % 3 ? pipeline.lpush(key, rand(100)) : pipeline.rpop(key);
  else if (family === 'set') roll % 3 ? pipeline.sadd(key, rand(50)) : pipeline.srem(key, rand(50));
  else if (family === 'zset') pipeline.zincrby(key, rand(5), `m${rand(30)}`);
  else if (family === 'stream') pipeline.xadd(key, 'MAXLEN', '20', '*', 'f', rand(100));
  else pipeline.pfadd(key, `e${rand(1000)}`);
}

/** Big collections (5,000 elements each) that `writeBigChanges` keeps changing. */
export const bigKeyNames = ['big:hash', 'big:list', 'big:set', 'big:zset'] as const;

export async function seedBigKeys(client: Redis, elements = 5000): Promise<void> {
  const pipeline = client.pipeline();
  for (let i = 0; i < elements; i++) {
    pipeline.hset('big:hash', `f${i}`, `v${i}`);
    pipeline.rpush('big:list', `e${i}`);
    pipeline.sadd('big:set', `m${i}`);
    pipeline.zadd('big:zset', i, `m${i}`);
  }
  pipeline.pexpire('big:zset', 600_000);
  await pipeline.exec();
}

/** Changes every big collection all the time (as redis-benchmark's LPUSH/HSET/SADD/ZADD tests do); resolves with how many. */
export async function writeBigChanges(client: Redis, signal: AbortSignal): Promise<number> {
  let sent = 0;
  while (!signal.aborted) {
    const pipeline = client.pipeline();
    for (let i = 0; i < 10; i++) {
      pipeline.hset('big:hash', `f${rand(6000)}`, rand(100));
      pipeline.lpush('big:list', rand(100));
      pipeline.rpop('big:list');
      pipeline.sadd('big:set', `m${rand(6000)}`);
      pipeline.srem('big:set', `m${rand(6000)}`);
      pipeline.zincrby('big:zset', 1, `m${rand(6000)}`);
    }
    await pipeline.exec();
    sent += 60;
    await sleep(2);
  }
  return sent;
}

/** Writes random changes until the signal aborts; resolves with how many it sent. */
export async function writeChanges(
  client: Redis,
  prefix: string,
  signal: AbortSignal,
  perRound = 25,
): Promise<number> {
  let sent = 0;
  while (!signal.aborted) {
    const pipeline = client.pipeline();
    for (let i = 0; i < perRound; i++) randomChange(prefix, pipeline);
    await pipeline.exec(); // per-command errors (RENAME of a missing key) are part of the game
    sent += perRound;
    await sleep(5);
  }
  return sent;
}

/** Visits every key so keys whose TTL passed are removed now (SCAN expires what it meets), not at some later moment. */
export async function expireDueKeys(client: Redis | Cluster): Promise<void> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next] = await node.scan(cursor, 'COUNT', 1000);
      cursor = next;
    } while (cursor !== '0');
  }
}

/**
 * The target's digest without the reserved `__migrate:` keys a sync publishes (status heartbeat). Deletes them,
 * after checking they are only the ones sync is meant to leave (no temp key hides there).
 */
export async function userDigest(
  server: TestServer | TestCluster,
  client: Redis | Cluster,
): Promise<{ digest: string; reserved: string[] }> {
  const reserved = await removeReserved(client);
  return { digest: await digest(server), reserved };
}

/**
 * Deletes the reserved `__migrate:` keys and returns their names, less the stamp hashes that stamped copies leave
 * (src/keys/stamp.ts; they expire on their own); then removes keys whose TTL has passed.
 */
async function removeReserved(client: Redis | Cluster): Promise<string[]> {
  const reserved: string[] = [];
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    const found = await node.keys('__migrate:*');
    reserved.push(...found);
    for (const key of found) await client.del(key);
  }
  await expireDueKeys(client);
  return reserved.filter((key) => !key.startsWith('__migrate:stamp:')).sort();
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs a sync while `body` writes; stops it once caught up; returns the report and the statuses seen. */
export async function syncWhile(
  source: TestServer,
  target: { url: string; ca?: string },
  body: (ctx: { statuses: SyncStatus[]; latest: () => SyncStatus | undefined }) => Promise<void>,
  options: Partial<SyncOptions> = {},
  /** Treat the source as Upstash (whose DUMP payloads ElastiCache refuses). */
  upstash = false,
  /** The policy both ends are opened with (sync switches them to endless reconnects). */
  reconnect?: ReconnectPolicy,
) {
  const ports: RedisPort[] = [
    await openEndpoint({ role: 'source', url: source.url, upstash, reconnect }),
    await openEndpoint({ role: 'target', url: target.url, tlsCaFile: target.ca, reconnect }),
  ];
  const statuses: SyncStatus[] = [];
  const stop = new AbortController();
  const running = syncKeys(
    ports[0]!,
    ports[1]!,
    { ...defaultSyncOptions, stateDir: tempStateDir(), statusEveryMs: 100, ...options },
    { signal: stop.signal, onStatus: (s) => statuses.push(s) },
  );
  running.catch(() => {});
  try {
    await waitFor('streaming', () => statuses.at(-1)?.stage === 'streaming');
    await body({ statuses, latest: () => statuses.at(-1) });
    // Caught up: nothing queued, no lag, and no dead letter (a key dead-lettered by an outage's last failed attempt
    // is retried at the next probe that finds the target back).
    const caughtUp = (s: SyncStatus | undefined) =>
      s?.queueDepth === 0 && s.lagMs === 0 && s.deadLetters === 0;
    await waitFor('caught up', () => caughtUp(statuses.at(-1)), 15_000);
  } finally {
    stop.abort();
  }
  const report = await running;
  for (const port of ports) await port.close();
  return { report, statuses };
}

/** Lets every short TTL the writer set run out, then compares the data (reserved keys removed from the target). */
export async function expectConverged(
  source: TestServer,
  sourceClient: Redis,
  target: TestServer | TestCluster,
  targetClient: Redis | Cluster,
) {
  await sleep(1200);
  await expireDueKeys(sourceClient);
  expect(await removeReserved(targetClient)).toEqual(['__migrate:sync']);
  expect(await sourceClient.dbsize()).toBeGreaterThan(50);
  await expectSameValues(source, target);
}
