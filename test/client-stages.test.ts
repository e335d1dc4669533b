/**
 * The migrating client following the stage as `migrate cutover` moves it (test/support/stage-steps.ts plays the CLI,
 * with the control module): writes mirrored whole, the fenced switch of the primary losing and doubling nothing,
 * blocked pops and subscriptions moved across a switch, EVALSHA after a switch, shadow reads finding an injected
 * difference, and a mirror failure recorded in `__migrate:repair` and repaired. One pair of servers, stages walked
 * in order through the file.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratingClient, type MigratingRedis } from '../src/client/index.js';
import { repairSetKey } from '../src/control/names.js';
import { readStageRecord } from '../src/control/stage-record.js';
import { openEndpoint } from '../src/redis/connect.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { type Ports, repairRecorded, stepTo } from './support/stage-steps.js';
import { waitFor } from './support/sync.js';
import { expectSameUserData } from './support/user-data.js';

afterAll(stopAll);

describe('the client through the stages', () => {
  let source: TestServer;
  let target: TestServer;
  let ports: Ports;
  let redis: MigratingRedis;
  let onSource: Redis;
  let onTarget: Redis;
  const drained = () => waitFor('mirror drained', () => redis.migrationStats().mirror.queued === 0);

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    ports = {
      source: await openEndpoint({ role: 'source', url: source.url }),
      target: await openEndpoint({ role: 'target', url: target.url }),
    };
    ports.source.keepReconnecting();
    redis = createMigratingClient({
      source: source.url,
      target: target.url,
      clientId: 'stages',
      shadowSampleRate: 1,
      shadowRecheckMs: 50,
      mirrorAttempts: 2,
    });
    onSource = source.client();
    onSource.on('error', () => {}); // the source is killed on purpose below
    onTarget = target.client();
  });
  afterAll(async () => {
    await redis?.quit();
    onSource?.disconnect();
    onTarget?.disconnect();
    await Promise.allSettled([ports?.source.close(), ports?.target.close()]);
  });

  it('writes only the source in stage source, and copies what it holds when dual-write starts', async () => {
    await redis.set('before', 'dual-write');
    expect(await onTarget.exists('before')).toBe(0);
    await stepTo(ports, { stage: 'dual-write', percent: 100 });
    expect(await onTarget.get('before')).toBe('dual-write');
  });

  it('mirrors each written key whole in dual-write: counters, lists, expiries, MULTI, EVAL, deletes', async () => {
    await redis.incrby('counter', 7);
    await redis.lpush('feed', 'a', 'b', 'c');
    await redis.ltrim('feed', 0, 1);
    await redis.set('session', 'x', 'PX', 60_000);
    await redis.multi().hincrby('stats', 'hits', 2).zincrby('board', 5, 'ada').exec();
    await redis.eval(
      "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('DEL', KEYS[2])",
      2,
      'ev',
      'before',
      1,
    );
    await redis.pipeline().sadd('tags', 'x', 'y').srem('tags', 'y').exec();
    await drained();
    expect(await onTarget.get('counter')).toBe('7');
    expect(await onTarget.lrange('feed', 0, -1)).toEqual(['c', 'b']);
    expect(await onTarget.exists('before')).toBe(0);
    expect(await expectSameUserData(onSource, onTarget)).toBe(7);
    const stats = redis.migrationStats();
    expect(stats.mirror.failures).toBe(0);
    // Coalesced and batched: fewer copies than writes.
    expect(stats.mirror.mirrored).toBeLessThan(12);
  });

  it('finds a difference injected on the target by a shadow read, and none where the sides agree', async () => {
    await stepTo(ports, { stage: 'shadow', percent: 100 });
    await redis.set('shadowed', 'same');
    await drained();
    await redis.get('shadowed');
    await onTarget.set('counter', '999'); // behind the client's back
    expect(await redis.get('counter')).toBe('7');
    await waitFor('the compare', () => redis.migrationStats().shadow.compared >= 2);
    const { shadow } = redis.migrationStats();
    expect(shadow.mismatches).toBe(1);
    expect(shadow.examples).toEqual(['counter: value']);
    await onTarget.set('counter', '7');
  });

  it('switches the primary with a fenced step: writes wait, none is lost or doubled, and the pause is reported', async () => {
    const replies: number[] = [];
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        replies.push(await redis.incr(`hits:${i++ % 64}`));
      }
    })();
    await waitFor('writes under way', () => replies.length > 50);
    const steps = [];
    for (const percent of [10, 50, 100]) steps.push(await stepTo(ports, { stage: 'live', percent }));
    writing = false;
    await writer;
    await drained();
    expect(steps.map((step) => step.fenced)).toEqual([true, true, true]);
    for (const step of steps) expect(step.pauseMs).toBeGreaterThan(0);
    // Every acknowledged INCR is on the new primary, once: the counters sum to the writes acknowledged.
    let total = 0;
    for (let i = 0; i < 64; i++) total += Number(await onTarget.get(`hits:${i}`));
    expect(total).toBe(replies.length);
    expect(await expectSameUserData(onTarget, onSource)).toBeGreaterThan(64);
    expect(redis.migrationStats()).toMatchObject({ stage: 'live', percent: 100, epoch: expect.any(Number) });
  });

  it('moves a blocked pop and a subscription across a switch of the primary', async () => {
    await stepTo(ports, { stage: 'shadow', percent: 100 });
    const messages: string[] = [];
    const subscriber = createMigratingClient({ source: source.url, target: target.url });
    subscriber.on('message', (_channel, message) => messages.push(message));
    await subscriber.subscribe('events');
    const popped = redis.blpop('jobs', 10);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200)); // blocked on the source now
    await stepTo(ports, { stage: 'live', percent: 100 });
    await redis.rpush('jobs', 'after-switch'); // to the new primary, the target
    expect(await popped).toEqual(['jobs', 'after-switch']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await onSource.llen('jobs')).toBe(0); // mirrored: popped on the target, gone on the source too
    await redis.publish('events', 'one');
    await stepTo(ports, { stage: 'rampdown', percent: 100 });
    await stepTo(ports, { stage: 'complete', percent: 100 });
    await redis.publish('events', 'two');
    await waitFor('both messages', () => messages.length >= 2);
    expect(messages).toEqual(['one', 'two']);
    await subscriber.quit();
  });

  it('runs EVALSHA on a primary that lacks the script, with the body it saw', async () => {
    const script = "return redis.call('INCRBY', KEYS[1], 2)";
    const sha = (await redis.script('LOAD', script)) as string;
    await onTarget.script('FLUSH');
    expect(await redis.evalsha(sha, 1, 'scripted')).toBe(2);
  });

  it('records keys it could not mirror in __migrate:repair, never failing the caller, and they are repaired', async () => {
    await stepTo(ports, { stage: 'rampdown', percent: 100 }, 30_000);
    await source.kill('SIGKILL');
    for (let i = 0; i < 20; i++) expect(await redis.set(`unmirrored:${i}`, `v${i}`)).toBe('OK');
    await waitFor('recorded for repair', () => redis.migrationStats().mirror.recorded >= 20, 15_000);
    const recorded = await onTarget.smembers(repairSetKey);
    expect(recorded.filter((key) => key.startsWith('unmirrored:')).length).toBe(20);
    await source.restart();
    const record = (await readStageRecord({ target: ports.target })).record;
    await waitFor(
      'source back',
      async () => (await ports.source.exec([{ name: 'PING', args: [] }]))[0] !== null,
    );
    expect(await repairRecorded(ports, record)).toBeGreaterThanOrEqual(20);
    const check = source.client();
    expect(await check.get('unmirrored:19')).toBe('v19');
    check.disconnect();
    expect(await onTarget.scard(repairSetKey)).toBe(0);
  });
});
