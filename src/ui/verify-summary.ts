import chalk from 'chalk';
import type { Problem } from '../keys/compare.js';
import type { VerifyReport } from '../verify/report.js';
import { formatCount, formatDuration, formatSourceCost, table } from './format.js';

const problemTitles: Record<Problem, string> = {
  missing: 'missing on target',
  extra: 'extra on target',
  type: 'type differs',
  value: 'value differs',
  'ttl-lost': 'TTL lost',
  'ttl-added': 'TTL added',
  'ttl-drift': 'TTL drifted',
  'field-ttl-lost': 'field TTL lost',
  'field-ttl-added': 'field TTL added',
  'field-ttl-drift': 'field TTL drifted',
};

/** The verify report as text: status, counts, how the sample was drawn, then examples by problem kind. */
export function renderVerifySummary(report: VerifyReport): string {
  const found =
    report.missing +
    report.extra +
    report.typeMismatch +
    report.valueMismatch +
    report.ttlMismatch +
    report.fieldTtlMismatch;
  const status = report.interrupted
    ? chalk.yellow('interrupted — not every key was compared')
    : report.ok
      ? chalk.green(
          found > 0
            ? `target equals source after repairing ${formatCount(report.repaired)} keys`
            : 'target equals source',
        )
      : chalk.red(`${formatCount(report.remaining)} keys differ`);
  const side = (s: VerifyReport['source']) =>
    `${formatCount(s.dbsize)} keys (${formatCount(s.keysWithTtl)} with TTL${s.reserved ? `, ${formatCount(s.reserved)} reserved not counted` : ''})`;
  const lines = [
    `verify (${report.mode}): ${status}`,
    table([
      ['source', side(report.source)],
      ['target', side(report.target)],
      [
        'checked',
        formatCount(report.checked) +
          (report.mode === 'full' ? `, ${formatCount(report.targetScanned)} target keys scanned` : ''),
      ],
      ['missing', formatCount(report.missing)],
      ['extra', report.mode === 'full' ? formatCount(report.extra) : 'not looked for (use --full)'],
      ['type differs', formatCount(report.typeMismatch)],
      ['value differs', formatCount(report.valueMismatch)],
      ['TTL differs', formatCount(report.ttlMismatch)],
      ['field TTL differs', formatCount(report.fieldTtlMismatch)],
      ['resolved on re-check', formatCount(report.rechecked)],
      ...(report.busy > 0 ? [['busy with live writes', formatCount(report.busy)] as [string, string]] : []),
      ...(report.repaired > 0 || found > 0
        ? [['repaired', formatCount(report.repaired)] as [string, string]]
        : []),
      ['source commands', formatSourceCost(report.sourceCommands, report.estimatedCostUsd)],
      ['duration', `${formatDuration(report.durationMs)} (${formatCount(report.keysPerSec)} keys/s)`],
    ]),
  ];
  if (report.sample) {
    const odds = report.sample.detection
      .map((d) => `${d.differingShare * 100}% → ${percent(d.probability)}`)
      .join(', ');
    lines.push(
      `sample: ${report.sample.explanation}`,
      `  chance of catching a difference affecting: ${odds}`,
    );
  }
  if (report.vanished > 0)
    lines.push(
      `${formatCount(report.vanished)} keys expired or were deleted on the source during the run (not differences)`,
    );
  for (const problem of Object.keys(problemTitles) as Problem[]) {
    const examples = report.examples.filter((e) => e.problem === problem);
    if (examples.length === 0) continue;
    lines.push(`${problemTitles[problem]}:`);
    for (const e of examples) {
      lines.push(
        `  ${e.key}${e.repaired === true ? chalk.green(' (repaired)') : e.repaired === false ? chalk.red(' (repair failed)') : ''}`,
      );
      lines.push(`    source: ${e.source ?? '(absent)'}`, `    target: ${e.target ?? '(absent)'}`);
    }
  }
  return lines.join('\n');
}

function percent(p: number): string {
  if (p >= 1) return '100%';
  const digits = p > 0.99 ? Math.min(6, Math.ceil(-Math.log10(1 - p))) : 1;
  return `${(Math.floor(p * 10 ** (digits + 2)) / 10 ** digits).toFixed(digits)}%`;
}
