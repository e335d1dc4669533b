/**
 * Bench section for `migrate cutover --window` and `migrate rollback --window`, on the mixed dataset. A sync runs and
 * an application stand-in writes to the source; `cutover --window --fence --verify sample` pauses the writes, drains,
 * verifies and switches: its write-freeze time is the figure. Then the sync stops, the target takes writes of its
 * own (5% of the keys), and `rollback --window` catches the source up with no reverse feed (verify and repair from
 * target to source): its keys/s is set against the copy's keys/s of the same run (no target: the brief sets none;
 * differences spread over every batch make verify compare those batches key by key, which bounds it).
 * Also runs alone: `npx tsx bench/cutover-bench.ts [keys]` (default 200000).
 */
import { seedBenchData } from '../fixtures/dataset.js';
import { dataDigest, writeUntilStopped } from '../fixtures/demo-steps.js';
import { startPair, stopAll, stopServersOnSignal } from '../fixtures/servers.js';
import { syncStatusKey } from '../src/control/names.js';
import { startCli } from '../test/support/cli.js';
import { flushAll } from '../test/support/servers.js';
import { tempDir } from '../test/support/temp-dir.js';
import type { Row, Target } from './report.js';
import { renderTable, renderTargets } from './report.js';
import type { BenchContext, BenchSection } from './run.js';
import { toolCopy } from './runs.js';

interface SwitchJson {
  steps: Array<{
    move?: {
      pauseMs: number;
      drain: { by: string; keysCompared: number; passMs: number; fullPass: boolean };
    };
    window?: { freezeMs: number; verify?: { ok: boolean; checked: number } };
  }>;
}

async function migrateJson(
  args: string[],
  onLine?: { pattern: RegExp; act: () => void },
): Promise<SwitchJson> {
  const run = startCli(args);
  if (onLine) void run.waitFor(onLine.pattern, 600_000).then(onLine.act, () => {});
  const result = await run.done;
  if (result.code !== 0) throw new Error(`migrate ${args[0]} exited ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as SwitchJson;
}

export const bench: BenchSection = async ({ source, target, keys }: BenchContext) => {
  await Promise.all([flushAll(source), flushAll(target)]);
  const sourceClient = source.client();
  const targetClient = target.client();
  const dir = tempDir();
  const ends = ['--source', source.url, '--target', target.url];
  let sync: ReturnType<typeof startCli> | undefined;
  try {
    await seedBenchData(sourceClient, { keys });
    await sourceClient.config('SET', 'notify-keyspace-events', 'KEA');
    const copy = await toolCopy(source.url, target.url, ['--on-conflict', 'replace']);
    sync = startCli(['sync', ...ends, '--skip-initial-copy', '--state-dir', dir.path, '--quiet']);
    const started = sync;
    while (!(await targetClient.get(syncStatusKey))) {
      if (started.child.exitCode !== null)
        throw new Error(`migrate sync exited: ${(await started.done).stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const app = writeUntilStopped(sourceClient, 'bench:app:');
    await new Promise((r) => setTimeout(r, 2000));
    process.stderr.write('cutover --window --fence under a live writer… ');
    const cutover = await migrateJson(
      // The stand-in application stops at the pause instead of moving: no hold after the switch (the freeze is measured).
      ['cutover', ...ends, '--window', '--fence', '--fence-hold', '0', '--verify', 'sample', '--json'],
      {
        pattern: /writes to the source paused/,
        act: () => void app.stop(),
      },
    );
    const writes = await app.stop();
    const freezeMs = cutover.steps[0]?.window?.freezeMs ?? Number.NaN;
    process.stderr.write(`freeze ${freezeMs} ms (${writes} writes before it)\n`);

    started.child.kill('SIGINT');
    await started.done;
    const changed = Math.round(keys / 20);
    const pipeline = targetClient.pipeline();
    for (let i = 0; i < changed; i++) pipeline.set(`bench:moved:${i}`, `written on the target ${i}`);
    await pipeline.exec();
    process.stderr.write('rollback --window without a reverse feed… ');
    const rollback = await migrateJson(['rollback', ...ends, '--window', '--quiet-for', '1000', '--json']);
    const drain = rollback.steps[0]?.move?.drain;
    const catchUpKeysPerSec = drain ? Math.round((drain.keysCompared / Math.max(drain.passMs, 1)) * 1000) : 0;
    process.stderr.write(`${catchUpKeysPerSec} keys/s (${drain?.keysCompared} keys, by ${drain?.by})\n`);
    const equal = (await dataDigest(sourceClient)) === (await dataDigest(targetClient));

    const dataset = `mixed ${keys / 1000}k`;
    const rows: Row[] = [
      { name: 'copy (before the window cutover)', dataset, ...copy, equal },
      {
        name: `rollback --window catch-up, no reverse feed (${(catchUpKeysPerSec / copy.keysPerSec).toFixed(2)}× the copy)`,
        dataset,
        keys: drain?.keysCompared ?? 0,
        keysPerSec: catchUpKeysPerSec,
        peakRss: undefined,
        sourceCommands: 0,
        cpuMs: undefined,
        equal,
      },
    ];
    const targets: Target[] = [
      {
        label: 'cutover --window --fence --verify sample: write freeze under a live writer',
        measured: freezeMs,
        max: 2000,
        format: (n) => `${n.toFixed(0)} ms`,
      },
      {
        label: 'source equal to target after the rollback (DEBUG DIGEST-VALUE)',
        measured: equal ? 1 : 0,
        min: 1,
      },
    ];
    return { rows, targets };
  } finally {
    if (sync && sync.child.exitCode === null) sync.child.kill('SIGINT');
    await sync?.done;
    sourceClient.disconnect();
    targetClient.disconnect();
    dir.remove();
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.MIGRATE_TEST_WORLD ??= 'processes';
  stopServersOnSignal();
  const keys = Number(process.argv[2] ?? 200_000);
  const { source, target } = await startPair();
  const { rows, targets } = await bench({ source, target, keys, equal: async () => true });
  console.log(renderTable(rows));
  console.log(renderTargets(targets).text);
  await stopAll();
}
