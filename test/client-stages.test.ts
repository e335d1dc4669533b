/**
 * The migrating client following the stage as the built CLI moves it (`migrate cutover` / `rollback`, beside a
 * `migrate sync` process as an operator runs them): writes mirrored whole, the fenced switch of the primary losing
 * and doubling nothing, blocked pops and subscriptions moved across a switch, EVALSHA after a switch, shadow reads
 * finding an injected difference, and a mirror failure recorded in `__migrate:repair` and repaired by the sync. One
 * pair of servers, stages walked in order through the file.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratingClient, type MigratingRedis } from '../src/client/index.js';
import { repairSetKey } from '../src/control/names.js';
import type { SwitchReport } from '../src/cutover/report.js';
import { migrateSwitch, startSyncCli } from './support/cli.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { notifyArgs, waitFor } from './support/sync.js';
import { expectSameUserData } from './support/user-data.js';

afterAll(stopAll);

describe('the client through the stages', () => {
  let source: TestServer;
  let target: TestServer;
  let sync: Awaited<ReturnType<typeof startSyncCli>> | undefined;
  let redis: MigratingRedis;
  let onSource: Redis;
  let onTarget: Redis;
  const drained = () => waitFor('mirror drained', () => redis.migrationStats().mirror.queued === 0);

  const ends = () => ['--source', source.url, '--target', target.url];
  /** One run of the CLI, its gates waited for (a client acknowledging the last epoch). */
  const migrate = (command: 'cutover' | 'rollback', ...flags: string[]): Promise<SwitchReport> =>
    migrateSwitch(command, ends(), '--wait', '20', ...flags);

  beforeAll(async () => {
    [source, target] = await Promise.all([
      startRedis({ args: notifyArgs }),
      startRedis({ args: notifyArgs }),
    ]);
    sync = await startSyncCli(ends());
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
    await sync?.stop();
  });

  it('writes only the source in stage source (the sync carries it), and starts mirroring at dual-write', async () => {
    await redis.set('before', 'dual-write');
    expect(redis.migrationStats().mirror.mirrored).toBe(0);
    await waitFor('the sync to carry it', async () => (await onTarget.get('before')) === 'dual-write');
    const report = await migrate('cutover');
    expect(report.new).toMatchObject({ stage: 'dual-write', percent: 100 });
    expect(report.gates.filter((g) => !g.ok)).toEqual([]);
    await waitFor('the client on the new epoch', () => redis.migrationStats().epoch === report.new.epoch);
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
    await migrate('cutover', '--to', 'shadow');
    // An instance of its own: its mismatch must not hold the main client's later steps at the shadow gate.
    const reader = createMigratingClient({
      source: source.url,
      target: target.url,
      clientId: 'shadow-reader',
      shadowSampleRate: 1,
      shadowRecheckMs: 50,
    });
    await reader.set('shadowed', 'same');
    await waitFor('mirror drained', () => reader.migrationStats().mirror.queued === 0);
    await reader.get('shadowed');
    await onTarget.set('counter', '999'); // behind the client's back
    expect(await reader.get('counter')).toBe('7');
    await waitFor('the compare', () => reader.migrationStats().shadow.compared >= 2);
    const { shadow } = reader.migrationStats();
    expect(shadow.mismatches).toBe(1);
    expect(shadow.examples).toEqual(['counter: value']);
    await onTarget.set('counter', '7');
    await reader.quit();
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
    for (const percent of [10, 50, 100])
      steps.push((await migrate('cutover', '--to', 'live', '--percent', String(percent))).steps[0]!);
    writing = false;
    await writer;
    await drained();
    for (const step of steps) expect(step.move?.pauseMs).toBeGreaterThan(0);
    expect(steps.map((step) => step.move?.acknowledged)).toEqual([1, 1, 1]);
    // Every acknowledged INCR is on the new primary, once: the counters sum to the writes acknowledged.
    let total = 0;
    for (let i = 0; i < 64; i++) total += Number(await onTarget.get(`hits:${i}`));
    expect(total).toBe(replies.length);
    expect(await expectSameUserData(onTarget, onSource)).toBeGreaterThan(64);
    expect(redis.migrationStats()).toMatchObject({ stage: 'live', percent: 100, epoch: expect.any(Number) });
  });

  it('moves a blocked pop and a subscription across a switch of the primary', async () => {
    expect((await migrate('rollback')).new).toMatchObject({ stage: 'shadow' });
    const messages: string[] = [];
    const subscriber = createMigratingClient({ source: source.url, target: target.url });
    subscriber.on('message', (_channel, message) => messages.push(message));
    await subscriber.subscribe('events');
    const popped = redis.blpop('jobs', 10);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200)); // blocked on the source now
    await migrate('cutover', '--to', 'live');
    await redis.rpush('jobs', 'after-switch'); // to the new primary, the target
    expect(await popped).toEqual(['jobs', 'after-switch']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await onSource.llen('jobs')).toBe(0); // mirrored: popped on the target, gone on the source too
    await redis.publish('events', 'one');
    await migrate('cutover', '--to', 'rampdown');
    await migrate('cutover', '--to', 'complete');
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

  it('records keys it could not mirror in __migrate:repair, never failing the caller, and the sync repairs them', async () => {
    expect((await migrate('rollback', '--to', 'rampdown')).new).toMatchObject({ stage: 'rampdown' });
    await source.kill('SIGKILL');
    for (let i = 0; i < 20; i++) expect(await redis.set(`unmirrored:${i}`, `v${i}`)).toBe('OK');
    await waitFor('recorded for repair', () => redis.migrationStats().mirror.recorded >= 20, 15_000);
    const recorded = await onTarget.smembers(repairSetKey);
    expect(recorded.filter((key) => key.startsWith('unmirrored:')).length).toBe(20);
    await source.restart();
    // The running sync takes the recorded keys and copies them once the source answers again.
    const check = source.client();
    await waitFor('repaired', async () => (await check.get('unmirrored:19')) === 'v19', 20_000);
    await waitFor('the repair set emptied', async () => (await onTarget.scard(repairSetKey)) === 0);
    check.disconnect();
  });
});
