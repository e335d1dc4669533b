import chalk from 'chalk';
import type { Gate, StepReport, SwitchReport } from '../cutover/index.js';
import { formatDuration, table } from './format.js';

const place = (p: { stage: string; percent: number }): string =>
  p.percent < 100 ? `${p.stage} ${p.percent}%` : p.stage;

/** The gates as a checklist: ✓/✗, measured value, threshold. */
export function renderGates(gates: readonly Gate[]): string {
  if (gates.length === 0) return '  (no gates for this step)';
  const width = Math.max(...gates.map((g) => g.name.length));
  return gates
    .map((g) => {
      const mark = g.ok ? chalk.green('✓') : chalk.red('✗');
      const line = `  ${mark} ${g.name.padEnd(width)}  ${g.value}  ${chalk.dim(`(needs ${g.threshold})`)}`;
      return g.detail ? `${line}\n      ${chalk.dim(g.detail)}` : line;
    })
    .join('\n');
}

function renderStep(step: StepReport): string[] {
  const head = `${place(step.from)} → ${place(step.to)}${step.kind === 'step' ? '' : ` (${step.kind})`}`;
  const outcome =
    step.outcome === 'switched'
      ? chalk.green(`switched, epoch${step.epochs.length > 1 ? 's' : ''} ${step.epochs.join(', ')}`)
      : step.outcome === 'dry-run'
        ? chalk.cyan('dry run: nothing changed')
        : step.outcome === 'not-ready'
          ? chalk.yellow('not ready: nothing changed')
          : chalk.red('aborted');
  const lines = [`${head}: ${outcome}${step.forced ? chalk.yellow(' (gates overridden by --force)') : ''}`];
  lines.push(renderGates(step.gates));
  const rows: Array<[string, string]> = [];
  if (step.move) {
    const m = step.move;
    const drain =
      m.drain.by === 'sync'
        ? 'drained by the sync'
        : `drained by copies (${m.drain.repairedBeforeFence} repaired before the fence, ${m.drain.recopied} re-copied${m.drain.fullPass ? ', full pass under the fence' : ''})`;
    rows.push([
      'fence',
      `writes to moving buckets held ${formatDuration(m.pauseMs)}, ${m.acknowledged} clients acknowledged, ${drain}, ${m.drain.repairSet} repair-set keys`,
    ]);
  }
  if (step.window) {
    const w = step.window;
    const stopped =
      w.stoppedBy === 'client-pause'
        ? 'paused by CLIENT PAUSE'
        : `quiet after ${formatDuration(w.quietWaitMs ?? 0)}, seen by ${w.quietBy}`;
    rows.push(['write freeze', `${formatDuration(w.freezeMs)} (writes ${stopped})`]);
    if (w.hold)
      rows.push([
        'fence held',
        w.hold.connectionsLeft === 0
          ? `${formatDuration(w.hold.heldMs)} after the switch, until the application left`
          : chalk.yellow(
              `${formatDuration(w.hold.heldMs)} after the switch; ${w.hold.connectionsLeft} application connection(s) still on the old primary`,
            ),
      ]);
    rows.push([
      'final verify',
      w.verify
        ? `${w.verify.ok ? 'clean' : `${w.verify.remaining} differences`} (${w.verify.mode}, ${w.verify.checked} keys)`
        : 'skipped (--verify none)',
    ]);
    if (!w.syncFollowed) rows.push(['sync', chalk.yellow('no running sync follows the new epoch')]);
  }
  if (step.catchUp) {
    const c = step.catchUp;
    rows.push([
      'catch-up',
      `source verified against the target, ${c.repaired} keys repaired of ${c.keysCompared} compared in ${formatDuration(c.passMs)}`,
    ]);
  }
  rows.push(['time', `gates ${formatDuration(step.gatesMs)}, step ${formatDuration(step.durationMs)}`]);
  lines.push(table(rows));
  if (step.error) {
    lines.push(chalk.red(step.error.message));
    if (step.error.hint) lines.push(`  → ${step.error.hint}`);
  }
  return lines;
}

export function renderSwitchSummary(report: SwitchReport): string {
  const lines = [`${report.command}${report.dryRun ? ' (dry run)' : ''}:`];
  for (const step of report.steps) lines.push(...renderStep(step));
  for (const note of report.notes) lines.push(`note: ${note}`);
  const was = `${place(report.old)}, epoch ${report.old.epoch}`;
  const now = `${place(report.new)}, epoch ${report.new.epoch}${report.new.fenced ? chalk.yellow(' (fenced)') : ''}`;
  lines.push(`stage: ${now}${report.new.epoch === report.old.epoch ? ' (unchanged)' : ` (was ${was})`}`);
  if (report.pointApplicationAt)
    lines.push(chalk.bold(`point the application at ${report.pointApplicationAt}`));
  return lines.join('\n');
}
