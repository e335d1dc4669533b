/**
 * Maintenance-window switches through the built CLI, a sync running and a writer that stops when told: the cutover
 * loses no acknowledged write and leaves the target equal to the source at the switch, reporting the write-freeze
 * time; writes made on the target afterwards are all on the source after `rollback --window`, whether the sync
 * carried them back (target notifications on) or the rollback's catch-up did (off, cluster target). `--fence`
 * pauses the old primary's writes with CLIENT PAUSE where allowed (the source for a cutover, the target for a
 * rollback) and is refused clearly (exit 2) where not (and onto Serverless rules: test/cutover-serverless.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from './support/cli.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';
import {
  expectAcknowledgedOn,
  runSync,
  stageRecordOf,
  startWriter,
  userKeyDigests,
  windowSwitch,
} from './support/switch.js';
import { notifyArgs, waitFor } from './support/sync.js';

afterAll(stopAll);

interface WindowJson {
  ok: boolean;
  new: { stage: string; fenced: boolean };
  pointApplicationAt?: string;
  steps: Array<{
    outcome: string;
    move?: { drain: { by: string }; pauseMs: number };
    window?: {
      stoppedBy: string;
      quietBy?: string;
      freezeMs: number;
      verify?: { ok: boolean };
      syncFollowed: boolean;
    };
  }>;
}

const args = (command: string, source: TestServer, target: { url: string }, ...extra: string[]) => [
  command,
  ...['--source', source.url, '--target', target.url, '--window', '--quiet-for', '800', '--json'],
  ...extra,
];

async function seed(server: TestServer) {
  const client = server.client();
  const pipeline = client.pipeline();
  for (let i = 0; i < 300; i++) pipeline.set(`seed:${i}`, `v${i}`);
  for (let i = 0; i < 20; i++) pipeline.hset(`seed:h${i}`, 'a', i, 'b', 'x');
  await pipeline.exec();
  client.disconnect();
}

/** Window cutover under a writer that stops when told; then writes on the target; then a window rollback. */
async function cutoverThenBack(source: TestServer, target: TestServer | TestCluster, reverseFeed: boolean) {
  await seed(source);
  const sync = await runSync(source.url, target.url);
  const sourceClient = source.client();
  const targetClient = target.client();
  try {
    const switched = await windowSwitch<WindowJson>(
      args('cutover', source, target),
      startWriter(sourceClient, 'w:'),
    );
    const { report, written } = switched;
    expect(report.new).toMatchObject({ stage: 'rampdown', fenced: false });
    expect(report.pointApplicationAt).toBeDefined();
    const step = report.steps[0]!;
    expect(step.move?.drain.by).toBe('sync');
    expect(step.window).toMatchObject({ stoppedBy: 'quiet', quietBy: 'notifications', verify: { ok: true } });
    expect(step.window!.freezeMs).toBeGreaterThan(0);
    expect(switched.stderr).toMatch(/point the application at redis:/);
    // Nothing written since the writer stopped: the target holds exactly what the source held at the switch.
    expect(written).toBeGreaterThan(10);
    expect(await targetClient.get('w:count')).toBe(String(written));
    expect(await userKeyDigests(targetClient)).toEqual(await userKeyDigests(sourceClient));
    expect(await stageRecordOf(source.url, target)).toMatchObject({ stage: 'rampdown', agree: true });
    await waitFor('the sync to follow', () => sync.statuses.at(-1)?.direction === 'target-to-source');
    expect(sync.statuses.at(-1)?.feeds?.target).toBe(reverseFeed);

    // The application now writes to the target; then it goes back.
    const targetWriter = startWriter(targetClient, 't:');
    await waitFor('target writes', () => targetWriter.acknowledged > 50);
    const { report: backReport, written: onTarget } = await windowSwitch<WindowJson>(
      args('rollback', source, target),
      targetWriter,
    );
    expect(backReport.new).toMatchObject({ stage: 'source', fenced: false });
    expect(backReport.steps[0]!.move?.drain.by).toBe(reverseFeed ? 'sync' : 'copy');
    expect(await sourceClient.get('t:count')).toBe(String(onTarget));
    expect(await userKeyDigests(sourceClient)).toEqual(await userKeyDigests(targetClient));
    expect(await stageRecordOf(source.url, target)).toMatchObject({ stage: 'source', agree: true });
  } finally {
    await sync.stop();
    sourceClient.disconnect();
    targetClient.disconnect();
  }
}

describe('migrate cutover --window and rollback --window', () => {
  it('switch and switch back with the sync carrying the target’s writes (notifications on the target)', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis({ args: notifyArgs });
    await cutoverThenBack(source, target, true);
  }, 90_000);

  it('switch and switch back on a cluster target without notifications: the rollback catches up itself', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startCluster();
    await cutoverThenBack(source, target, false);
  }, 90_000);
});

/**
 * A fenced window switch while the application never stops writing to `old`: once the command says where to point it,
 * the application moves (after a moment, as reconfiguring takes), what the pause held never runs, and every write it
 * acknowledged is on the new primary. The pause is lifted at the end. Returns the switch's report.
 */
async function fencedSwitchMovingTheApplication(
  command: 'cutover' | 'rollback',
  ends: { source: TestServer; target: TestServer },
  writer: ReturnType<typeof startWriter>,
  moves: { from: TestServer; to: Redis; prefix: string },
): Promise<WindowJson> {
  const old = command === 'cutover' ? 'source' : 'target';
  const run = startCli(args(command, ends.source, ends.target, '--fence', '--fence-hold', '20'));
  await run.waitFor(new RegExp(`writes to the ${old} paused`));
  await run.waitFor(/point the application at .*stay paused until it has left/);
  await sleep(500);
  writer.moveTo(moves.to);
  const result = await run.done;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(new RegExp(`writes to the ${old} resumed \\(the application left it\\)`));
  const report = JSON.parse(result.stdout) as WindowJson;
  const step = report.steps[0]!;
  // The final verify was clean while the writer kept going: the pause held every write from the drain to the switch.
  expect(step.window).toMatchObject({
    stoppedBy: 'client-pause',
    verify: { ok: true },
    hold: { connectionsLeft: 0 },
  });
  expect(step.window!.freezeMs).toBeGreaterThan(0);
  const afterSwitch = writer.acknowledged;
  await waitFor('the writer going on', () => writer.acknowledged > afterSwitch + 20);
  // Nothing lost: every acknowledged write is on the new primary, none ran on the old one after the switch.
  await expectAcknowledgedOn(moves.to, moves.prefix, await writer.stop());
  // The pause is lifted (a pause left in place would hold this write for seconds).
  const probe = moves.from.client({ commandTimeout: 2000 });
  await expect(probe.set('after', '1')).resolves.toBe('OK');
  probe.disconnect();
  return report;
}

describe('migrate cutover --window --fence', () => {
  it('pauses the source’s writes with CLIENT PAUSE, switches, holds the pause until the application moved, and lifts it', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    await seed(source);
    const sync = await runSync(source.url, target.url);
    const sourceClient = source.client();
    const targetClient = target.client();
    try {
      // The application never stops writing: the pause holds its writes, and it moves once told where to.
      const writer = startWriter(sourceClient, 'w:');
      await fencedSwitchMovingTheApplication('cutover', { source, target }, writer, {
        from: source,
        to: targetClient,
        prefix: 'w:',
      });
    } finally {
      await sync.stop();
      sourceClient.disconnect();
      targetClient.disconnect();
    }
  }, 60_000);

  it('rollback --window --fence pauses the target’s writes during the freeze, holds them until the application moved back, and loses nothing', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis(); // no notifications: the source catches up by copies, under the pause
    await seed(source);
    const sync = await runSync(source.url, target.url);
    const sourceClient = source.client();
    const targetClient = target.client();
    try {
      await windowSwitch<WindowJson>(args('cutover', source, target), startWriter(sourceClient, 'w:'));
      // The application writes to the target, and never stops: the rollback's pause is what holds its writes.
      const writer = startWriter(targetClient, 't:');
      await waitFor('target writes', () => writer.acknowledged > 50);
      const back = source.client();
      const report = await fencedSwitchMovingTheApplication('rollback', { source, target }, writer, {
        from: target,
        to: back,
        prefix: 't:',
      });
      expect(report.new).toMatchObject({ stage: 'source', fenced: false });
      expect(report.steps[0]!.move?.drain.by).toBe('copy');
      back.disconnect();
    } finally {
      await sync.stop();
      sourceClient.disconnect();
      targetClient.disconnect();
    }
  }, 60_000);

  it('is refused with exit 2 where the source denies CLIENT PAUSE, the record untouched (and so is a rollback from source)', async () => {
    const source = await startRedis();
    const target = await startRedis();
    const admin = source.client();
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '&*', '+@all', '-client');
    admin.disconnect();
    const appSource = { ...source, url: source.url.replace('redis://', 'redis://app:pw@') } as TestServer;
    const result = await startCli(args('cutover', appSource, target, '--fence', '--force')).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refuses CLIENT PAUSE/);
    expect(await stageRecordOf(source.url, target)).toMatchObject({ stage: 'source', epoch: 0 });
    // And nothing to roll back from source.
    const rollback = await startCli(['rollback', '--source', source.url, '--target', target.url]).done;
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toMatch(/nothing to roll back: the stage is source/);
  }, 30_000);
});
