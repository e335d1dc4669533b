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
    const args = ['copy', '--source', sourceUrl, '--target', targetUrl, '--json'];
    const run = await runMeasured(process.execPath, [
      bin,
      ...args,
      '--checkpoint',
      join(dir, 'cp.json'),
      ...extra,
    ]);
    if (run.code !== 0)
      throw new Error(`migrate copy exited ${run.code}: ${run.stderr.trim() || run.stdout.trim()}`);
    const report = JSON.parse(run.stdout) as { scanned: number; keysPerSec: number; sourceCommands: number };
    return {
      keys: report.scanned,
      keysPerSec: report.keysPerSec,
      peakRss: run.peakRss,
      sourceCommands: report.sourceCommands,
      cpuMs: run.cpuMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
