/**
 * The migration's control state (src/control/): the stage table and buckets as pure logic, and the stage record and
 * client heartbeats against real servers, standalone and cluster.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishHeartbeat, readHeartbeats, removeHeartbeat } from '../src/control/heartbeats.js';
import { stageKey } from '../src/control/names.js';
import {
  initialRecord,
  readStageHistory,
  readStageRecord,
  requireRecord,
  type StageRecord,
  writeSide,
  writeStageRecord,
} from '../src/control/stage-record.js';
import {
  nextStage,
  previousStage,
  primaryMoves,
  routes,
  stageOfSlot,
  stages,
} from '../src/control/stages.js';
import { MigrateError } from '../src/errors.js';
import { openEndpoint } from '../src/redis/connect.js';
import type { RedisPort } from '../src/redis/port.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';
import { heartbeat } from './support/switch.js';

describe('stages', () => {
  it('walks the six stages in order, with the routing of DESIGN.md', () => {
    expect(stages).toEqual(['source', 'dual-write', 'shadow', 'live', 'rampdown', 'complete']);
    expect(nextStage('shadow')).toBe('live');
    expect(previousStage('source')).toBeUndefined();
    expect(routes.shadow).toMatchObject({
      reads: 'source',
      primary: 'source',
      mirror: 'target',
      shadowReads: true,
    });
    expect(routes.live).toMatchObject({
      reads: 'target',
      primary: 'target',
      mirror: 'source',
      shadowReads: true,
    });
    expect(routes.complete).toMatchObject({
      reads: 'target',
      primary: 'target',
      mirror: undefined,
      feed: 'none',
    });
  });

  it('puts slot % 100 < percent at the stage, the rest one stage behind', () => {
    const placement = { stage: 'live' as const, percent: 10 };
    expect(stageOfSlot(placement, 9)).toBe('live');
    expect(stageOfSlot(placement, 109)).toBe('live');
    expect(stageOfSlot(placement, 10)).toBe('shadow');
    expect(stageOfSlot({ stage: 'live', percent: 0 }, 0)).toBe('shadow');
    expect(stageOfSlot({ stage: 'live', percent: 100 }, 16383)).toBe('live');
    // Only slots whose primary changes are held by a fence.
    expect(primaryMoves({ stage: 'shadow', percent: 100 }, placement, 5)).toBe(true);
    expect(primaryMoves({ stage: 'shadow', percent: 100 }, placement, 50)).toBe(false);
  });
});

const record = (epoch: number, stage: StageRecord['stage'], percent = 100): StageRecord => ({
  stage,
  epoch,
  percent,
  fenced: false,
  changedAt: 1_700_000_000_000 + epoch,
  reason: `step ${epoch}`,
});

const change = (next: StageRecord, from: StageRecord) => ({
  ...next,
  from: { stage: from.stage, epoch: from.epoch, percent: from.percent, fenced: from.fenced },
  host: 'test',
  pid: process.pid,
});

describe.each(['standalone', 'cluster'] as const)('the stage record on a %s target', (kind) => {
  let sourceServer: TestServer;
  let targetServer: TestServer | TestCluster;
  let source: RedisPort;
  let target: RedisPort;

  beforeAll(async () => {
    sourceServer = await startRedis();
    targetServer = kind === 'cluster' ? await startCluster() : await startRedis();
    source = await openEndpoint({ role: 'source', url: sourceServer.url });
    target = await openEndpoint({ role: 'target', url: targetServer.url });
  });
  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
    await stopAll();
  });

  it('reads the initial record when no switch happened, then the written one from both servers', async () => {
    const empty = await readStageRecord({ source, target });
    expect(empty.record).toEqual(initialRecord);
    expect(empty.source).toBe('none');

    const next = record(1, 'dual-write');
    await writeStageRecord({ source, target }, next, change(next, initialRecord));
    const read = await readStageRecord({ source, target });
    expect(read.record).toEqual(next);
    expect(read.agree).toBe(true);
    expect(await readStageRecord({ source })).toMatchObject({ record: next });
    const history = await readStageHistory(target);
    expect(history.at(-1)).toMatchObject({
      stage: 'dual-write',
      epoch: 1,
      from: { stage: 'source', epoch: 0 },
    });
    expect(await readStageHistory(source)).toEqual(history);
  });

  it('takes the higher epoch when a switch died between the two writes, and a rerun repairs it', async () => {
    const before = (await readStageRecord({ source, target })).record;
    const next = record(before.epoch + 1, 'shadow', 10);
    await writeSide(target, next); // killed here: the source still holds the old epoch
    const half = await readStageRecord({ source, target });
    expect(half.agree).toBe(false);
    expect(half.record).toEqual(next);
    await writeStageRecord({ source, target }, next, change(next, before));
    expect((await readStageRecord({ source, target })).agree).toBe(true);
  });

  it('never lowers an epoch: a stale writer is refused with exit code 4', async () => {
    const current = (await readStageRecord({ source, target })).record;
    const stale = record(current.epoch - 1, 'source');
    const refused = await writeStageRecord({ source, target }, stale, change(stale, current)).catch((e) => e);
    expect(refused).toBeInstanceOf(MigrateError);
    expect((refused as MigrateError).code).toBe(4);
    expect((await readStageRecord({ source, target })).record).toEqual(current);
  });

  it('reads the record from the side that answers when the other is down, and says so when neither does', async () => {
    const current = (await readStageRecord({ source, target })).record;
    const down = await openEndpoint({ role: 'source', url: sourceServer.url });
    await down.close();
    const reading = await readStageRecord({ source: down, target });
    expect(reading.source).toBeInstanceOf(Error);
    expect(reading.record).toEqual(current);
    const none = await readStageRecord({ source: down });
    expect(() => requireRecord(none)).toThrow(/cannot read the stage record/);
  });

  it('refuses a malformed record instead of guessing', async () => {
    await target.exec([{ name: 'HSET', args: [stageKey, 'stage', 'halfway', 'epoch', '99'], key: stageKey }]);
    const reading = await readStageRecord({ target });
    expect(reading.target).toBeInstanceOf(Error);
    await target.exec([{ name: 'DEL', args: [stageKey], key: stageKey }]);
  });

  it('lists live client heartbeats and drops dead ones without a SCAN', async () => {
    const beat = (id: string, epoch: number) => heartbeat(id, epoch, { stage: 'dual-write' });
    await publishHeartbeat(target, beat('a', 3));
    await publishHeartbeat(target, beat('short', 3), 200);
    await publishHeartbeat(target, beat('gone', 2));
    await removeHeartbeat(target, 'gone');
    await sleep(400);
    const live = await readHeartbeats(target);
    expect(live.map((client) => client.id)).toEqual(['a']);
    expect(live[0]).toMatchObject({ epoch: 3, stage: 'dual-write' });
  });
});
