/**
 * A staged cutover as applications on the client library see it (built CLI, a running sync, an instance that
 * follows the record): one stage per step, a share of buckets moved with the fenced two-epoch switch (the pause
 * reported, the fence acknowledged, the drain by the sync), the target's changes to moved buckets flowing back to
 * the source, and a rollback that moves those buckets back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { readStageHistory } from '../src/control/stage-record.js';
import { openEndpoint } from '../src/redis/connect.js';
import { slotOf } from '../src/redis/slot.js';
import { runCli } from './support/cli.js';
import { startFollower } from './support/follower-client.js';
import { startRedis, stopAll } from './support/servers.js';
import { runSync, setStage, userKeyDigests } from './support/switch.js';
import { notifyArgs, waitFor } from './support/sync.js';

afterAll(stopAll);

interface StepJson {
  epochs: number[];
  movesPrimary: boolean;
  move?: { pauseMs: number; acknowledged: number; drain: { by: string } };
  gates: Array<{ name: string; ok: boolean }>;
}

/** A key whose bucket (slot % 100) is below `percent`, or not. */
function keyIn(prefix: string, movesAt: number, inside: boolean): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    if (slotOf(key) % 100 < movesAt === inside) return key;
  }
}

describe('staged cutover and rollback', () => {
  it('walks source → dual-write → shadow → live 10%, carries the moved buckets’ writes back, and rolls back', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis({ args: notifyArgs });
    const seed = source.client();
    for (let i = 0; i < 100; i++) await seed.set(`seed:${i}`, `v${i}`);
    const sync = await runSync(source.url, target.url);
    const app = await startFollower(source.url, target.url, 'app-1');
    const migrate = async (...args: string[]) => {
      const result = await runCli([...args, '--source', source.url, '--target', target.url, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as {
        new: { stage: string; epoch: number; percent: number };
        steps: StepJson[];
      };
    };
    try {
      expect((await migrate('cutover', '--reason', 'start mirroring')).new).toMatchObject({
        stage: 'dual-write',
        epoch: 1,
      });
      await waitFor('the client on epoch 1', () => app.epochs.at(-1) === 1);
      expect((await migrate('cutover', '--to', 'shadow')).new).toMatchObject({ stage: 'shadow', epoch: 2 });
      await waitFor('the client on epoch 2', () => app.epochs.at(-1) === 2);

      const live = await migrate('cutover', '--percent', '10');
      expect(live.new).toMatchObject({ stage: 'live', percent: 10, epoch: 4 });
      const step = live.steps[0]!;
      expect(step.movesPrimary).toBe(true);
      expect(step.epochs).toEqual([3, 4]);
      expect(step.gates.map((g) => g.name)).toContain('verify');
      expect(step.move).toMatchObject({ acknowledged: 1, drain: { by: 'sync' } });
      expect(step.move!.pauseMs).toBeGreaterThan(0);
      expect(app.epochs).toContain(3); // the client saw the fence and acknowledged it
      await waitFor('the sync on both directions', () => sync.statuses.at(-1)?.direction === 'both');

      // A moved bucket's write on the target reaches the source; a not-moved bucket's write on the source, the target.
      const targetClient = target.client();
      const movedKey = keyIn('moved:', 10, true);
      const stayedKey = keyIn('stayed:', 10, false);
      await targetClient.set(movedKey, 'written on the target');
      await seed.set(stayedKey, 'written on the source');
      await waitFor('the reverse feed', async () => (await seed.get(movedKey)) === 'written on the target');
      await waitFor(
        'the forward feed',
        async () => (await targetClient.get(stayedKey)) === 'written on the source',
      );
      await sleep(300);
      expect(await targetClient.get(stayedKey)).toBe('written on the source');

      const back = await migrate('rollback');
      expect(back.new).toMatchObject({ stage: 'shadow', percent: 100, epoch: 6 });
      expect(back.steps[0]!.move).toMatchObject({ drain: { by: 'sync' } });
      expect(await seed.get(movedKey)).toBe('written on the target');
      const port = await openEndpoint({ role: 'target', url: target.url });
      const history = await readStageHistory(port, 10);
      await port.close();
      expect(history.map((h) => [h.epoch, h.stage, h.percent, h.fenced])).toEqual([
        [1, 'dual-write', 100, false],
        [2, 'shadow', 100, false],
        [3, 'live', 10, true],
        [4, 'live', 10, false],
        [5, 'shadow', 100, true],
        [6, 'shadow', 100, false],
      ]);
      expect(history[0]!.reason).toBe('start mirroring');
      targetClient.disconnect();
    } finally {
      await app.stop();
      await sync.stop();
      seed.disconnect();
    }
  }, 120_000);
});

describe('rollback out of complete', () => {
  it('catches the source up on every write made while complete before mirroring resumes', async () => {
    const source = await startRedis();
    const target = await startRedis();
    const ends = {
      source: await openEndpoint({ role: 'source', url: source.url }),
      target: await openEndpoint({ role: 'target', url: target.url }),
    };
    await setStage(ends, 'complete', 6);
    const targetClient = target.client();
    for (let i = 0; i < 50; i++) await targetClient.set(`written-while-complete:${i}`, String(i));
    await source.client().set('deleted-while-complete', 'stale');
    const result = await runCli(['rollback', '--source', source.url, '--target', target.url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      new: { stage: string };
      steps: Array<{ catchUp?: { repaired: number } }>;
    };
    expect(report.new.stage).toBe('rampdown');
    expect(report.steps[0]!.catchUp?.repaired).toBe(51);
    expect(await userKeyDigests(source.client())).toEqual(await userKeyDigests(targetClient));
    targetClient.disconnect();
    await Promise.all([ends.source.close(), ends.target.close()]);
  });
});
