/** The benchmark's markdown table and its PASS/FAIL target lines. */
import { formatBytes, formatCount } from '../src/ui/format.js';
import type { CopyRun } from './runs.js';

export interface Row extends CopyRun {
  name: string;
  dataset: string;
  /** Digest of the target equal to the source's after the copy. */
  equal: boolean;
  /** This run's keys/s divided by the baseline's on the same dataset. */
  vsMigrate?: number | undefined;
}

export interface Target {
  label: string;
  measured: number;
  /** PASS when measured ≥ min (or ≤ max). */
  min?: number;
  max?: number;
  format?: (n: number) => string;
}

export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| run | dataset | keys | keys/s | × MIGRATE | peak RSS | client CPU µs/key | source cmds/key | target equal (DEBUG DIGEST) |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const cells = [
      r.name,
      r.dataset,
      formatCount(r.keys),
      formatCount(r.keysPerSec),
      r.vsMigrate === undefined ? '' : `${r.vsMigrate.toFixed(2)}×`,
      r.peakRss === undefined ? 'n/a' : formatBytes(r.peakRss),
      r.cpuMs === undefined ? 'n/a' : ((r.cpuMs * 1000) / Math.max(r.keys, 1)).toFixed(1),
      (r.sourceCommands / Math.max(r.keys, 1)).toFixed(4),
      r.equal ? 'EQUAL' : '**DIFFERENT**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderTargets(targets: readonly Target[]): { text: string; allPass: boolean } {
  let allPass = true;
  const lines = targets.map((t) => {
    const pass = (t.min === undefined || t.measured >= t.min) && (t.max === undefined || t.measured <= t.max);
    allPass &&= pass;
    const show = t.format ?? ((n: number) => n.toFixed(2));
    const bound = t.min !== undefined ? `≥ ${show(t.min)}` : `≤ ${show(t.max ?? 0)}`;
    return `- ${pass ? 'PASS' : 'FAIL'} ${t.label}: ${show(t.measured)} (target ${bound})`;
  });
  return { text: lines.join('\n'), allPass };
}
