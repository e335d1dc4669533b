/**
 * `migrate cutover` gates, through the built CLI against real servers (standalone and cluster target): each gate
 * failing alone exits 4 and leaves the record as it was on both servers; --wait passes once the condition clears;
 * --dry-run changes nothing; bad input exits 2 before any connection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientIndexKey,
  clientKey,
  lastVerifyKey,
  repairSetKey,
  syncStatusKey,
} from '../src/control/index.js';
import { openEndpoint } from '../src/redis/connect.js';
import { cmd, type RedisPort } from '../src/redis/port.js';
import { hasStackTrace, runCli, startCli } from './support/cli.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';
import { beat, epochs, publishSync, saveCleanVerify, setStage } from './support/switch.js';

afterAll(stopAll);

interface GateJson {
  name: string;
  ok: boolean;
  value: string;
}
interface ReportJson {
  outcome: string;
  old: { epoch: number };
  new: { epoch: number; stage: string };
  steps: Array<{ gates: GateJson[]; outcome: string }>;
}

describe('bad input exits 2 before any connection (nothing listens on port 1)', () => {
  const ends = ['--source', 'redis://127.0.0.1:1', '--target', 'redis://127.0.0.1:2'];
  it.each([
    ['an unknown stage', ['cutover', '--to', 'halfway']],
    ['--percent out of range', ['cutover', '--percent', '0']],
    ['a rollback to complete', ['rollback', '--to', 'complete']],
  ])('%s', async (_, args) => {
    const result = await runCli([...args, ...ends]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe.each(['standalone', 'cluster'] as const)('cutover gates with a %s target', (kind) => {
  let sourceServer: TestServer;
  let targetServer: TestServer | TestCluster;
  let source: RedisPort;
  let target: RedisPort;
  const epoch = 2;

  beforeAll(async () => {
    sourceServer = await startRedis();
    targetServer = kind === 'cluster' ? await startCluster() : await startRedis();
    source = await openEndpoint({ role: 'source', url: sourceServer.url });
    target = await openEndpoint({ role: 'target', url: targetServer.url });
    await setStage({ source, target }, 'shadow', epoch);
  });
  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
  });

  /** Every gate healthy: a caught-up sync, a clean saved verify, one client on the current epoch. */
  beforeEach(async () => {
    const keys = [repairSetKey, lastVerifyKey, syncStatusKey, clientIndexKey, clientKey('app-1')];
    await target.exec(keys.map((key) => cmd('DEL', [key], key)));
    await source.exec([cmd('DEL', ['only-on-source'], 'only-on-source')]);
    await publishSync(target, { epoch });
    await saveCleanVerify(target);
    await beat(target, 'app-1', epoch);
  });

  const cutover = async (...extra: string[]) => {
    const result = await runCli([
      'cutover',
      ...['--source', sourceServer.url, '--target', targetServer.url],
      ...['--verify', 'none', '--json'],
      ...extra,
    ]);
    return { ...result, report: JSON.parse(result.stdout) as ReportJson };
  };

  const expectRefused = async (gateName: string, ...extra: string[]) => {
    const { code, report } = await cutover(...extra);
    expect(code).toBe(4);
    const gates = report.steps[0]!.gates;
    expect(gates.filter((g) => !g.ok).map((g) => g.name)).toEqual([gateName]);
    expect(await epochs({ source, target })).toMatchObject({ source: epoch, target: epoch });
    return gates.find((g) => g.name === gateName)!;
  };

  const all = kind === 'standalone';

  it('refuses a stale sync heartbeat', async () => {
    await publishSync(target, { epoch, heartbeatAt: new Date(Date.now() - 12_000).toISOString() });
    const { code, report } = await cutover();
    expect(code).toBe(4);
    // A dead sync says nothing about its lag or queue either.
    expect(report.steps[0]!.gates.find((g) => g.name === 'sync heartbeat')).toMatchObject({ ok: false });
    expect(await epochs({ source, target })).toMatchObject({ source: epoch, target: epoch });
  });

  it.runIf(all)('refuses a sync lag above --max-lag', async () => {
    await publishSync(target, { epoch, lagMs: 2500 });
    expect((await expectRefused('sync lag')).value).toBe('2500 ms');
  });

  it.runIf(all)('refuses keys waiting in the retry queue', async () => {
    await publishSync(target, { epoch, retryQueue: 3, queueDepth: 3 });
    await expectRefused('retry queue');
  });

  it.runIf(all)('refuses dead letters', async () => {
    await publishSync(target, { epoch, deadLetters: 1 });
    await expectRefused('retry queue');
  });

  it('refuses a verify that finds a difference', async () => {
    await sourceServer.client().set('only-on-source', 'v');
    const gate = await expectRefused('verify', '--verify', 'sample');
    expect(gate.value).toMatch(/1 of 1 keys differ/);
  });

  it.runIf(all)('refuses a saved verify older than the sync’s last gap', async () => {
    await saveCleanVerify(target, new Date(Date.now() - 60_000));
    await publishSync(target, { epoch, gaps: 1, lastGapAt: new Date(Date.now() - 1000).toISOString() });
    await expectRefused('verify');
  });

  it('refuses a client instance still on an older epoch', async () => {
    await beat(target, 'app-1', epoch - 1);
    const gate = await expectRefused('clients on the current epoch');
    expect(gate.value).toBe(`0 of 1 on epoch ${epoch}`);
  });

  it.runIf(all)('refuses keys clients could not mirror, waiting in the repair set', async () => {
    await target.exec([cmd('SADD', [repairSetKey, 'k1', 'k2'], repairSetKey)]);
    expect((await expectRefused('mirror failures')).value).toMatch(/^2 keys/);
  });

  it.runIf(all)('refuses shadow reads that found the target different', async () => {
    await beat(target, 'app-1', epoch, { shadowReads: 1000, shadowMismatches: 12 });
    await expectRefused('shadow-read mismatches');
  });

  it('changes nothing with --dry-run, gates passing or not', async () => {
    const { code, report } = await cutover('--dry-run');
    expect(code).toBe(0);
    expect(report.outcome).toBe('dry-run');
    expect(report.steps[0]!.gates.every((g) => g.ok)).toBe(true);
    await beat(target, 'app-1', epoch - 1);
    expect((await cutover('--dry-run')).code).toBe(0);
    expect(await epochs({ source, target })).toMatchObject({ source: epoch, target: epoch });
  });

  it.runIf(all)(
    'status --watch prints a line a second with the sync direction, and exits 0 on Ctrl-C',
    async () => {
      const watch = startCli([
        'status',
        '--source',
        sourceServer.url,
        '--target',
        targetServer.url,
        '--watch',
      ]);
      await watch.waitFor(/stage shadow epoch 2;.*direction source-to-target[\s\S]*\n.*stage shadow/);
      watch.child.kill('SIGINT');
      const result = await watch.done;
      expect(result.code).toBe(0);
    },
  );

  // Last: it moves the record on.
  it.runIf(all)('with --wait, switches once the failing gate clears', async () => {
    // From dual-write: a step that moves no primary (no drain to wait for).
    await setStage({ source, target }, 'dual-write', epoch + 1);
    await beat(target, 'app-1', epoch);
    await publishSync(target, { epoch: epoch + 1 });
    const run = startCli([
      'cutover',
      ...['--source', sourceServer.url, '--target', targetServer.url, '--wait', '20'],
    ]);
    await run.waitFor(/waiting: clients on the current epoch/);
    expect((await epochs({ source, target })).target).toBe(epoch + 1);
    await sleep(300);
    await beat(target, 'app-1', epoch + 1);
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/dual-write → shadow: switched/);
    expect(await epochs({ source, target })).toMatchObject({ source: epoch + 2, target: epoch + 2 });
  });
});
