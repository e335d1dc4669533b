/** One measured copy: the real CLI, or a baseline, each as a child process whose peak RSS is sampled. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './rss.js';

export interface CopyRun {
  keys: number;
  keysPerSec: number;
  peakRss: number | undefined;
  sourceCommands: number;
  /** CPU ms the copying process used (the tool's own, or the baseline client's). */
  cpuMs: number | undefined;
}

const bin = fileURLToPath(new URL('../bin/migrate', import.meta.url));
const baselines = fileURLToPath(new URL('./baselines.ts', import.meta.url));

/** `node bin/migrate copy … --json`; keys/s and source commands come from the tool's own report. */
export async function toolCopy(sourceUrl: string, targetUrl: string, extra: string[]): Promise<CopyRun> {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-'));
  try {
    const { report, run } = await runTool<{ scanned: number }>([
      'copy',
      ...['--source', sourceUrl, '--target', targetUrl, '--checkpoint', join(dir, 'cp.json')],
      ...extra,
    ]);
    return { ...run, keys: report.scanned };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node bin/migrate verify … --json` (add --full for every key); measured like a copy. */
export async function toolVerify(
  sourceUrl: string,
  targetUrl: string,
  extra: string[],
): Promise<CopyRun & { ok: boolean }> {
  const { report, run } = await runTool<{ checked: number; ok: boolean }>(
    ['verify', '--source', sourceUrl, '--target', targetUrl, ...extra],
    [0, 1],
  );
  return { ...run, keys: report.checked, ok: report.ok };
}

/** Runs the CLI with --json, measured; exit codes other than `accepted` throw with what it printed. */
async function runTool<T>(
  args: string[],
  accepted = [0],
): Promise<{ report: T; run: Omit<CopyRun, 'keys'> }> {
  const run = await runMeasured(process.execPath, [bin, ...args, '--json']);
  if (!accepted.includes(run.code ?? -1))
    throw new Error(`migrate ${args[0]} exited ${run.code}: ${run.stderr.trim() || run.stdout.trim()}`);
  const report = JSON.parse(run.stdout) as T & { keysPerSec: number; sourceCommands: number };
  return {
    report,
    run: {
      keysPerSec: report.keysPerSec,
      peakRss: run.peakRss,
      sourceCommands: report.sourceCommands,
      cpuMs: run.cpuMs,
    },
  };
}

/** A baseline from baselines.ts in its own process (tsx loader included in its RSS). */
export async function baselineCopy(
  name: 'migrate' | 'seed-doc',
  sourceUrl: string,
  targetUrl: string,
): Promise<CopyRun> {
  const run = await runMeasured(process.execPath, ['--import', 'tsx', baselines, name, sourceUrl, targetUrl]);
  if (run.code !== 0) throw new Error(`baseline ${name} exited ${run.code}: ${run.stderr.trim()}`);
  const result = JSON.parse(run.stdout) as { keys: number; ms: number; sourceCommands: number };
  return {
    keys: result.keys,
    keysPerSec: Math.round((result.keys / Math.max(result.ms, 1)) * 1000),
    peakRss: run.peakRss,
    sourceCommands: result.sourceCommands,
    cpuMs: run.cpuMs,
  };
}
