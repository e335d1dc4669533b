/**
 * The migrating client answers what `new Redis(url)` answers: the same basics suite runs against plain ioredis (the
 * control), and through the client in stages `source` and `complete`, where it must land every key on the one live
 * server and on no other.
 */
import { type ChainableCommander, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratingClient } from '../src/client/index.js';
import type { StageRecord } from '../src/control/stage-record.js';
import { initialRecord, writeStageRecord } from '../src/control/stage-record.js';
import { openEndpoint } from '../src/redis/connect.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

afterAll(stopAll);

type Mode = 'plain ioredis' | 'client at source' | 'client at complete';

describe.each<Mode>(['plain ioredis', 'client at source', 'client at complete'])('%s', (mode) => {
  let source: TestServer;
  let target: TestServer;
  let live: TestServer;
  let idle: TestServer;
  let redis: Redis;
  const open = (): Redis =>
    mode === 'plain ioredis'
      ? new Redis(live.url)
      : createMigratingClient({ source: source.url, target: target.url, shadowSampleRate: 1 });

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    if (mode === 'client at complete') await recordStage(source, target, 'complete');
    [live, idle] = mode === 'client at complete' ? [target, source] : [source, target];
    redis = open();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('answers string, number, hash, list, set and sorted set commands as ioredis does', async () => {
    expect(await redis.set('s', 'v')).toBe('OK');
    expect(await redis.set('s', 'w', 'NX')).toBeNull();
    expect(await redis.get('s')).toBe('v');
    expect(await redis.incrby('n', 5)).toBe(5);
    expect(await redis.incrbyfloat('f', 1.5)).toBe('1.5');
    expect(await redis.hset('h', { a: '1', b: '2' })).toBe(2);
    expect(await redis.hgetall('h')).toEqual({ a: '1', b: '2' });
    expect(await redis.rpush('l', 'x', 'y', 'z')).toBe(3);
    expect(await redis.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
    expect(await redis.sadd('set', 'm1', 'm2')).toBe(2);
    expect((await redis.smembers('set')).sort()).toEqual(['m1', 'm2']);
    expect(await redis.zadd('z', 2, 'b', 1, 'a')).toBe(2);
    expect(await redis.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    expect(await redis.mget('s', 'n', 'missing')).toEqual(['v', '5', null]);
    expect(await redis.expire('s', 100)).toBe(1);
    expect(await redis.ttl('s')).toBeGreaterThan(90);
    expect(await redis.del('n', 'missing')).toBe(1);
    expect(await redis.exists('s', 'n')).toBe(1);
    await expect(redis.lpush('s', 'x')).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.call('GET', 's')).toBe('v');
  });

  it('keeps binary values and keys byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const key = Buffer.from([0xff, 0x00, 0x41]);
    expect(await redis.set(key, bytes)).toBe('OK');
    expect(await redis.getBuffer(key)).toEqual(bytes);
    await redis.hset('bin', bytes, bytes);
    expect(await redis.hgetallBuffer('bin')).toEqual({ [bytes.toString()]: bytes });
  });

  it('runs a pipeline with per-command results and errors, and callbacks', async () => {
    const results = await redis.pipeline().set('p', '1').incr('p').lpush('p', 'x').get('p').exec();
    expect(results?.map(([error]) => error?.message.slice(0, 9) ?? null)).toEqual([
      null,
      null,
      'WRONGTYPE',
      null,
    ]);
    expect(results?.map(([, value]) => value)).toEqual(['OK', 2, undefined, '2']);
    const viaCallback = await new Promise((resolve) => redis.get('p', (_error, value) => resolve(value)));
    expect(viaCallback).toBe('2');
  });

  it('runs a transaction, and aborts it when a watched key changed', async () => {
    expect(await redis.multi().incr('t').incr('t').get('t').exec()).toEqual([
      [null, 1],
      [null, 2],
      [null, '2'],
    ]);
    await redis.watch('w');
    const other = live.client();
    await other.set('w', 'changed');
    expect(await redis.multi().set('w', 'mine').exec()).toBeNull();
    expect(await redis.get('w')).toBe('changed');
    other.disconnect();
  });

  it('delivers pub/sub messages and patterns', async () => {
    const subscriber = open();
    const received: string[] = [];
    subscriber.on('message', (channel, message) => received.push(`${channel}:${message}`));
    subscriber.on('pmessage', (pattern, channel, message) =>
      received.push(`${pattern}>${channel}:${message}`),
    );
    expect(await subscriber.subscribe('news')).toBe(1);
    await subscriber.psubscribe('ne*');
    expect(await redis.publish('news', 'hello')).toBe(2);
    await waitUntil(() => received.length === 2);
    expect(received.sort()).toEqual(['ne*>news:hello', 'news:hello']);
    await subscriber.quit();
  });

  it('blocks on a pop until a push, and honours the timeout', async () => {
    expect(await redis.blpop('queue', 0.2)).toBeNull();
    const pusher = open();
    setTimeout(() => void pusher.rpush('queue', 'job'), 100);
    expect(await redis.blpop('queue', 5)).toEqual(['queue', 'job']);
    setTimeout(() => void pusher.rpush('src', 'item'), 100);
    expect(await redis.blmove('src', 'dst', 'LEFT', 'RIGHT', 5)).toBe('item');
    expect(await redis.lrange('dst', 0, -1)).toEqual(['item']);
    // Other commands are not stuck behind a blocked pop.
    const blocked = redis.blpop('never', 1);
    expect(await redis.ping()).toBe('PONG');
    expect(await blocked).toBeNull();
    await pusher.quit();
  });

  it('runs scripts: EVAL, EVALSHA, SCRIPT LOAD and defineCommand, also in a pipeline', async () => {
    const script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    expect(await redis.eval(script, 1, 'ev', 3)).toBe(3);
    const sha = (await redis.script('LOAD', script)) as string;
    expect(await redis.evalsha(sha, 1, 'ev', 4)).toBe(7);
    redis.defineCommand('addTo', { numberOfKeys: 1, lua: script });
    const custom = redis as Redis & { addTo(key: string, n: number): Promise<number> };
    expect(await custom.addTo('ev', 10)).toBe(17);
    type WithAddTo = ChainableCommander & { addTo(key: string, n: number): ChainableCommander };
    const results = await (redis.pipeline() as WithAddTo).addTo('ev', 1).get('ev').exec();
    expect(results).toEqual([
      [null, 18],
      [null, '18'],
    ]);
  });

  it('wrote every key to the live server and none to the other', async () => {
    if (mode === 'plain ioredis') return;
    const check = idle.client();
    const onIdle = (await check.keys('*')).filter((key) => !key.startsWith('__migrate:'));
    check.disconnect();
    expect(onIdle).toEqual([]);
    const onLive = live.client();
    expect(await onLive.get('ev')).toBe('18');
    onLive.disconnect();
  });
});

async function recordStage(
  source: TestServer,
  target: TestServer,
  stage: StageRecord['stage'],
): Promise<void> {
  const ports = {
    source: await openEndpoint({ role: 'source', url: source.url }),
    target: await openEndpoint({ role: 'target', url: target.url }),
  };
  const record: StageRecord = { ...initialRecord, stage, epoch: 1, changedAt: Date.now(), reason: 'test' };
  const from = { stage: 'source' as const, epoch: 0, percent: 100, fenced: false };
  await writeStageRecord(ports, record, { ...record, from, host: 'test', pid: process.pid });
  await Promise.all([ports.source.close(), ports.target.close()]);
}

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
