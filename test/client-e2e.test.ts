/**
 * The end-to-end proof of the client library: 4 worker processes (test/support/client-worker.ts) write a realistic
 * mix and log every acknowledged write while the built CLI walks the stage to `complete` at 10/50/100 %
 * (`migrate cutover --to <stage> --percent <n>`, its gates waited for with --wait), one worker is SIGKILLed and
 * restarted, the target is frozen for 2 s, then `migrate rollback --to dual-write` walks back and `cutover` forward
 * again. `migrate sync` runs beside it all, as an operator runs it: it keeps the target current for what no client
 * mirrors (keys written before dual-write, the killed worker's unfinished mirrors) and carries the target's changes
 * back once it is the primary. Then every acknowledged write is on the final primary, applied once; source and
 * target hold the same data; shadow reads found no mismatch.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationStats } from '../src/client/index.js';
import type { Stage } from '../src/control/stages.js';
import type { SwitchReport } from '../src/cutover/report.js';
import { migrateSwitch, startSyncCli } from './support/cli.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { notifyArgs } from './support/sync.js';
import { expectSameUserData } from './support/user-data.js';

afterAll(stopAll);

const workerScript = fileURLToPath(new URL('./support/client-worker.ts', import.meta.url));
const dwellMs = 300;

interface Entry {
  worker: string;
  op: string;
  key?: string;
  value?: number | string;
  message?: string;
  stats?: MigrationStats;
}

describe('four application instances through a whole migration, back and forth', () => {
  let source: TestServer;
  let target: TestServer;
  let sync: Awaited<ReturnType<typeof startSyncCli>> | undefined;
  const logFile = join(mkdtempSync(join(tmpdir(), 'migrate-client-e2e-')), 'writes.jsonl');
  const workers = new Map<string, ChildProcess>();
  const ends = () => ['--source', source.url, '--target', target.url];
  const pauses: number[] = [];
  /** One run of the CLI; gates that fail only for a moment (a client catching up, the sync after the freeze) are waited for. */
  const migrate = async (command: 'cutover' | 'rollback', ...flags: string[]): Promise<SwitchReport> => {
    const report = await migrateSwitch(command, ends(), '--wait', '30', ...flags);
    for (const step of report.steps) if (step.move) pauses.push(step.move.pauseMs);
    return report;
  };

  const startWorker = (id: string) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', workerScript, source.url, target.url, id, logFile],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    workers.set(id, child);
  };
  const entries = (): Entry[] =>
    (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Entry);
  const started = async (id: string, times: number) => {
    while (entries().filter((e) => e.worker === id && e.op === 'started').length < times) await sleep(20);
  };

  beforeAll(async () => {
    [source, target] = await Promise.all([
      startRedis({ args: notifyArgs }),
      startRedis({ args: notifyArgs }),
    ]);
  });
  afterAll(async () => {
    for (const child of workers.values()) child.kill('SIGKILL');
    await sync?.stop();
  });

  it('keeps every acknowledged write, once, on the final primary, with both sides equal and no shadow mismatch', async () => {
    for (const id of ['1', '2', '3', '4']) startWorker(id);
    for (const id of ['1', '2', '3', '4']) await started(id, 1);
    sync = await startSyncCli(ends());
    await sleep(dwellMs);
    for (const stage of ['dual-write', 'shadow', 'live', 'rampdown', 'complete'] as Stage[]) {
      for (const percent of [10, 50, 100]) {
        const report = await migrate('cutover', '--to', stage, '--percent', String(percent));
        expect(report.new).toMatchObject({ stage, percent, fenced: false });
        await sleep(dwellMs);
        if (stage === 'dual-write' && percent === 100) {
          // The sync carries what the killed instance had not mirrored yet.
          const victim = workers.get('2')!;
          victim.kill('SIGKILL');
          await once(victim, 'exit');
          startWorker('2');
          await started('2', 2);
        }
        if (stage === 'shadow' && percent === 100) {
          await target.kill('SIGSTOP');
          await sleep(2000);
          await target.kill('SIGCONT');
        }
      }
    }
    // Back to dual-write, one stage at a time with the clients following each (the source catches up on every
    // write the target took as the primary), then forward again.
    const back = await migrate('rollback', '--to', 'dual-write');
    expect(back.steps.map((step) => step.to.stage)).toEqual(['rampdown', 'live', 'shadow', 'dual-write']);
    expect(back.steps[0]!.catchUp?.keysCompared).toBeGreaterThan(50);
    for (const stage of ['shadow', 'live', 'rampdown'] as Stage[]) {
      expect((await migrate('cutover', '--to', stage)).new).toMatchObject({ stage, percent: 100 });
      await sleep(dwellMs);
    }
    for (const child of workers.values()) child.kill('SIGTERM');
    await Promise.all(
      [...workers.values()].map((child) => (child.exitCode === null ? once(child, 'exit') : null)),
    );
    expect((await migrate('cutover', '--to', 'complete')).new).toMatchObject({ stage: 'complete' });
    const stopped = await sync.stop();
    expect(stopped.code, stopped.stderr).toBe(0);

    const log = entries();
    expect(log.filter((e) => e.op === 'error')).toEqual([]);
    const onTarget = target.client();
    const onSource = source.client();
    await expectWritesKept(log, onTarget);
    expect(await expectSameUserData(onTarget, onSource)).toBeGreaterThan(50);

    const stats = log.filter((e) => e.op === 'stats').map((e) => e.stats!);
    expect(stats.length).toBe(4);
    expect(stats.reduce((sum, s) => sum + s.shadow.compared, 0)).toBeGreaterThan(100);
    expect(stats.flatMap((s) => s.shadow.examples)).toEqual([]);
    expect(stats.reduce((sum, s) => sum + s.shadow.mismatches, 0)).toBe(0);
    expect(stats.reduce((sum, s) => sum + s.mirror.unrecorded, 0)).toBe(0);
    // Fenced switches of the primary: live at 10, 50, 100 %, back from live to shadow, and forward again.
    expect(pauses.length).toBe(5);
    console.info(
      `[client e2e] ${log.length} log lines; fenced pauses (ms): ${pauses.join(', ')}; catch-up out of complete: ${JSON.stringify(back.steps[0]!.catchUp)}; shadow compares:`,
      stats.map((s) => `${s.shadow.compared} (${s.shadow.busy} busy)`).join(', '),
    );
    onTarget.disconnect();
    onSource.disconnect();
  }, 120_000);
});

/**
 * Every acknowledged write is on the final primary. Counters (INCR, ZINCRBY, HINCRBY, and the MULTI's and EVAL's
 * INCR): each reply was given once (no two instances saw the same value, which a split primary would cause), and the
 * final value is the number of acknowledged increments, plus at most one over all keys (the killed worker's write
 * in flight, applied but never logged). Sessions and feeds hold their latest logged value.
 */
async function expectWritesKept(log: Entry[], onTarget: Redis): Promise<void> {
  const byKey = new Map<string, number[]>();
  for (const entry of log.filter((e) => ['incr', 'zincr', 'hincr', 'multi', 'eval'].includes(e.op))) {
    const id = `${entry.op}|${entry.key}`;
    byKey.set(id, [...(byKey.get(id) ?? []), Number(entry.value)]);
  }
  let unlogged = 0;
  for (const [id, replies] of byKey) {
    const [op, key] = id.split('|') as [string, string];
    expect(new Set(replies).size, `${id}: a reply given twice`).toBe(replies.length);
    const final =
      op === 'zincr'
        ? Number(await onTarget.zscore('board', key))
        : op === 'hincr'
          ? Number(await onTarget.hget('stats', key))
          : Number(await onTarget.get(key));
    expect(final, id).toBeGreaterThanOrEqual(Math.max(...replies));
    unlogged += final - replies.length;
  }
  expect(unlogged).toBeGreaterThanOrEqual(0);
  expect(unlogged).toBeLessThanOrEqual(1);
  expect(byKey.size).toBeGreaterThan(20);

  const latest = new Map<string, Entry>();
  for (const entry of log.filter((e) => e.op === 'set' || e.op === 'push')) latest.set(entry.key!, entry);
  for (const [key, entry] of latest) {
    if (entry.op === 'set') {
      expect(Number(await onTarget.get(key)), key).toBeGreaterThanOrEqual(Number(entry.value));
      expect(await onTarget.ttl(key), key).toBeGreaterThan(0);
    } else {
      expect(await onTarget.lindex(key, 0), key).toBe(entry.value);
      expect(await onTarget.llen(key)).toBeLessThanOrEqual(50);
    }
  }
}
