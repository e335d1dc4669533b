/**
 * A cutover killed with SIGKILL at each step of a switch of the primary (built CLI): the record is never left
 * half-written (both servers agree, or the higher epoch rules and the next run brings the other level), a rerun
 * finishes the switch and the opposite command undoes it, and a CLIENT PAUSE dies with its lease.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { writeSide } from '../src/control/stage-record.js';
import { openEndpoint } from '../src/redis/connect.js';
import type { RedisPort } from '../src/redis/port.js';
import { runCli, startCli } from './support/cli.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { beat, epochs, runSync, setStage } from './support/switch.js';
import { notifyArgs } from './support/sync.js';

afterAll(stopAll);

describe('a cutover killed mid-switch', () => {
  let sourceServer: TestServer;
  let targetServer: TestServer;
  let ends: { source: RedisPort; target: RedisPort };
  let epoch = 0;

  beforeEach(async () => {
    sourceServer = await startRedis();
    targetServer = await startRedis();
    ends = {
      source: await openEndpoint({ role: 'source', url: sourceServer.url }),
      target: await openEndpoint({ role: 'target', url: targetServer.url }),
    };
    epoch = 2;
    await setStage(ends, 'shadow', epoch);
    await sourceServer.client().set('k', 'v');
    return async () => {
      await Promise.all([ends.source.close(), ends.target.close()]);
    };
  });

  // No sync runs here: a cutover's sync gates are overridden (its drain then copies); a rollback has none.
  const migrate = (command: 'cutover' | 'rollback') =>
    runCli([
      command,
      ...['--source', sourceServer.url, '--target', targetServer.url, '--wait', '15'],
      ...(command === 'cutover' ? ['--force'] : []),
    ]);

  /** Starts shadow → live with a client that never acknowledges, and kills the run once the fence is written. */
  async function killInFence() {
    await beat(ends.target, 'slow-app', epoch);
    const run = startCli(['cutover', '--source', sourceServer.url, '--target', targetServer.url, '--force']);
    await run.waitFor(/writes to the moving buckets are held/);
    run.child.kill('SIGKILL');
    await run.done;
    const held = await epochs(ends);
    expect(held.target).toBe(epoch + 1);
    expect([epoch, epoch + 1]).toContain(held.source); // both agree, or the higher epoch rules
    expect(held.record).toMatchObject({ stage: 'live', fenced: true, epoch: epoch + 1 });
  }

  it('is finished by running it again once the client acknowledges', async () => {
    await killInFence();
    await beat(ends.target, 'slow-app', epoch + 1, { holdingWrites: true });
    const rerun = await migrate('cutover');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/finish-fence/);
    expect(await epochs(ends)).toMatchObject({
      source: epoch + 2,
      target: epoch + 2,
      record: { stage: 'live', fenced: false },
    });
    expect(await targetServer.client().get('k')).toBe('v');
  });

  it('is undone by a rollback, back to the placement before the fence', async () => {
    await killInFence();
    const undo = await migrate('rollback');
    expect(undo.code, undo.stderr).toBe(0);
    expect(await epochs(ends)).toMatchObject({
      source: epoch + 2,
      target: epoch + 2,
      record: { stage: 'shadow', fenced: false },
    });
  });

  it('killed between its two record writes, is brought level and finished by the next run', async () => {
    // What a kill right after the target's write of the fenced epoch leaves behind.
    const fenced = {
      stage: 'live' as const,
      percent: 100,
      epoch: epoch + 1,
      fenced: true,
      changedAt: 1,
      reason: '',
    };
    await writeSide(ends.target, fenced);
    await ends.target.exec([
      {
        name: 'RPUSH',
        args: [
          '__migrate:stage:history',
          JSON.stringify({
            ...fenced,
            from: { stage: 'shadow', epoch, percent: 100, fenced: false },
            host: 'h',
            pid: 1,
          }),
        ],
        key: '__migrate:stage:history',
      },
    ]);
    expect(await epochs(ends)).toMatchObject({ source: epoch, target: epoch + 1 });
    const rerun = await migrate('cutover');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/the source held an older epoch/);
    expect(await epochs(ends)).toMatchObject({
      source: epoch + 2,
      target: epoch + 2,
      record: { stage: 'live' },
    });
  });
});

describe('a window cutover killed during its CLIENT PAUSE', () => {
  it('leaves no pause past its lease, and the rerun finishes the switch', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    await source.client().set('k', 'v');
    const sync = await runSync(source.url, target.url);
    try {
      const ends = [
        '--source',
        source.url,
        '--target',
        target.url,
        '--window',
        '--fence',
        '--fence-hold',
        '1',
      ];
      const run = startCli(['cutover', ...ends]);
      await run.waitFor(/writes to the source paused/);
      run.child.kill('SIGKILL');
      await run.done;
      // The pause's lease (5 s, no longer renewed) runs out: writes go through again.
      const writer = source.client({ commandTimeout: 10_000 });
      await expect(writer.set('after-kill', '1')).resolves.toBe('OK');
      writer.disconnect();
      const rerun = await runCli(['cutover', ...ends, '--wait', '15']);
      expect(rerun.code, rerun.stderr).toBe(0);
      const ports = {
        source: await openEndpoint({ role: 'source', url: source.url }),
        target: await openEndpoint({ role: 'target', url: target.url }),
      };
      expect((await epochs(ports)).record).toMatchObject({ stage: 'rampdown', fenced: false });
      await Promise.all([ports.source.close(), ports.target.close()]);
      expect(await target.client().get('after-kill')).toBe('1');
    } finally {
      await sync.stop();
    }
  }, 60_000);
});
