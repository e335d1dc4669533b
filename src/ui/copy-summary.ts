import chalk from 'chalk';
import type { DryRunReport } from '../copy/dry-run.js';
import type { CopyReport } from '../copy/report.js';
import { formatBytes, formatCount, formatDuration, formatSourceCost, formatUsd, table } from './format.js';

/** The copy summary as text for a terminal. */
export function renderCopySummary(report: CopyReport): string {
  const status = report.interrupted
    ? chalk.yellow(`interrupted — resume with --resume (checkpoint ${report.checkpoint})`)
    : report.failed > 0
      ? chalk.red(`${formatCount(report.failed)} keys failed`)
      : chalk.green('all keys accounted for');
  const lines = [
    `copy (${report.mode} mode${report.resumed ? ', resumed' : ''}): ${status}`,
    table([
      ['scanned', formatCount(report.scanned)],
      ['copied', formatCount(report.copied)],
      ['skipped', formatCount(report.skipped)],
      ['expired', formatCount(report.expired)],
      ['failed', formatCount(report.failed)],
      ['bytes', formatBytes(report.bytes)],
      ['source commands', formatSourceCost(report.sourceCommands, report.estimatedCostUsd)],
      ['duration', `${formatDuration(report.durationMs)} (${formatCount(report.keysPerSec)} keys/s)`],
    ]),
  ];
  if (report.failures.length > 0) {
    lines.push('failures:');
    for (const failure of report.failures) lines.push(`  ${failure.key}: ${failure.reason}`);
    if (report.failed > report.failures.length)
      lines.push(`  … and ${formatCount(report.failed - report.failures.length)} more`);
  }
  if (report.fieldTtlsGivenUp.length > 0) {
    lines.push('hash-field expiries given up (--field-ttl):');
    for (const { key, fields } of report.fieldTtlsGivenUp)
      lines.push(`  ${key}: ${formatCount(fields)} fields`);
  }
  return lines.join('\n');
}

export function renderDryRun(report: DryRunReport): string {
  const rows: Array<[string, string]> = Object.entries(report.byType).map(([type, s]) => [
    type,
    `${formatCount(s.keys)} keys, ${formatBytes(s.bytes)}${s.bigKeys ? `, ${formatCount(s.bigKeys)} copied in chunks` : ''}`,
  ]);
  return [
    `copy --dry-run: nothing was written`,
    table([
      ...rows,
      ['total', `${formatCount(report.scanned)} keys, ${formatBytes(report.bytes)}`],
      ...(report.fieldTtlKeys > 0
        ? [
            [
              'hash-field expiries',
              `${formatCount(report.fieldTtlKeys)} hashes, ${formatCount(report.fieldTtlFields)} fields`,
            ] as [string, string],
          ]
        : []),
      [
        'estimated source commands',
        `${formatCount(report.estimatedSourceCommands)} (≈ ${formatUsd(report.estimatedCostUsd)})`,
      ],
      ['this dry run used', `${formatCount(report.sourceCommands)} source commands`],
    ]),
  ].join('\n');
}
