import chalk from 'chalk';
import type { MigrationStatus } from '../control/migration-status.js';
import type { SyncStatus } from '../control/sync-status.js';
import type { SyncReport } from '../sync/sync-keys.js';
import { formatCount, formatDuration, formatSourceCost, table } from './format.js';

/** One line of running figures, for the progress line or the periodic log line. */
export function renderSyncLine(s: SyncStatus): string {
  const copy = s.stage === 'initial-copy' ? ` ${formatCount(s.initialCopyScanned)} keys copied,` : '';
  return (
    `sync ${s.stage}:${copy} lag ${formatDuration(s.lagMs)}, ${formatCount(s.eventsPerSec)} events/s, ` +
    `queue ${formatCount(s.queueDepth)}, retrying ${formatCount(s.retryQueue)}, dead letters ${formatCount(s.deadLetters)}, gaps ${formatCount(s.gaps)}`
  );
}

export function renderSyncSummary(report: SyncReport): string {
  const status = !report.drained
    ? chalk.yellow(
        `stopped with ${formatCount(report.retryQueue)} keys queued (saved in ${report.stateFile}; the next sync applies them)`,
      )
    : report.deadLetters.length > 0
      ? chalk.red(`${formatCount(report.deadLetters.length)} keys in the dead-letter list`)
      : chalk.green('stopped cleanly: every change seen was applied');
  const lines = [
    `sync: ${status}`,
    table([
      [
        'initial copy',
        report.initialCopy
          ? `${formatCount(report.initialCopy.copied)} keys copied, ${formatCount(report.initialCopy.failed)} failed`
          : 'skipped',
      ],
      ['change events', formatCount(report.events)],
      ['keys applied', formatCount(report.applied)],
      [
        'gaps reconciled',
        `${formatCount(report.gaps)} (${formatCount(report.reconciliations)} reconciliation passes)`,
      ],
      ['source commands', formatSourceCost(report.sourceCommands, report.estimatedCostUsd)],
      ['duration', formatDuration(report.durationMs)],
    ]),
  ];
  if (report.deadLetters.length > 0) {
    lines.push('dead letters (copied again on their next change, or by the next sync):');
    for (const letter of report.deadLetters.slice(0, 20))
      lines.push(`  ${letter.key}: ${letter.lastError} (${letter.attempts} attempts)`);
    if (report.deadLetters.length > 20)
      lines.push(`  … and ${formatCount(report.deadLetters.length - 20)} more in ${report.stateFile}`);
  }
  return lines.join('\n');
}

export function renderMigrationStatus(s: MigrationStatus): string {
  const sync = s.sync;
  const heartbeat = !sync
    ? 'no sync has run against this target'
    : sync.heartbeat === 'alive'
      ? chalk.green(`alive (pid ${sync.pid} on ${sync.host}, ${formatDuration(sync.heartbeatAgeMs)} ago)`)
      : sync.heartbeat === 'stopped'
        ? `stopped at ${sync.heartbeatAt}`
        : chalk.red(
            `stale: last heartbeat ${formatDuration(sync.heartbeatAgeMs)} ago (pid ${sync.pid} on ${sync.host})`,
          );
  const verify = s.lastVerify;
  const rows: Array<[string, string]> = [
    ['stage', renderStage(s)],
    [
      'routing',
      `reads from ${s.route.reads}, writes to ${s.route.primary}${s.route.mirror ? ` then ${s.route.mirror}` : ''}`,
    ],
    ['clients', renderClients(s)],
    ['sync', heartbeat],
  ];
  if (sync) {
    rows.push(
      ['sync stage', sync.stage],
      ['sync direction', renderDirection(sync)],
      ['lag', formatDuration(sync.lagMs)],
      ['events/s', formatCount(sync.eventsPerSec)],
      ['queue depth', formatCount(sync.queueDepth)],
      ['dead letters', formatCount(sync.deadLetters)],
      ['gaps', formatCount(sync.gaps)],
    );
  }
  rows.push([
    'last verify',
    verify
      ? `${verify.ok ? chalk.green('ok') : chalk.red('differences')} (${verify.mode}, ${formatCount(verify.checked)} keys checked, ${formatCount(verify.remaining)} differing) at ${verify.at}`
      : 'none',
  ]);
  rows.push([
    'keys',
    `target ${formatCount(s.targetKeys)}${s.sourceKeys === undefined ? '' : `, source ${formatCount(s.sourceKeys)}`}`,
  ]);
  const history = s.history.map(
    (change) =>
      `  ${new Date(change.changedAt).toISOString()}  ${change.from.stage} → ${change.stage} ${change.percent}%${change.fenced ? ' (fenced)' : ''}, epoch ${change.epoch}${change.reason ? `: ${change.reason}` : ''}`,
  );
  return [
    `migration status\n${table(rows)}`,
    ...(history.length > 0 ? ['last transitions:', ...history] : []),
  ].join('\n');
}

function renderStage(s: MigrationStatus): string {
  const { stage, epoch, percent, fenced } = s.stage;
  const share = percent < 100 ? ` at ${percent}% of key buckets (the rest one stage behind)` : '';
  const notes = [
    fenced ? chalk.yellow('fenced: writes to moving buckets are held') : '',
    s.recordsAgree ? '' : chalk.yellow('source and target records differ: the higher epoch rules'),
  ].filter(Boolean);
  return `${stage}${share}, epoch ${epoch}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

function renderClients(s: MigrationStatus): string {
  if (s.clients.length === 0)
    return 'no application instance reports (none uses the client library, or none runs)';
  const behind = s.clients.filter((client) => client.epoch !== s.stage.epoch).length;
  const list = s.clients
    .map((client) => `${client.host}:${client.pid} epoch ${client.epoch}, mirror queue ${client.mirrorQueue}`)
    .join('; ');
  return `${s.clients.length} live${behind > 0 ? chalk.yellow(`, ${behind} not on epoch ${s.stage.epoch}`) : ''}: ${list}`;
}

function renderDirection(sync: NonNullable<MigrationStatus['sync']>): string {
  if (sync.direction === undefined) return 'source → target (a sync that does not follow stages)';
  const arrow = {
    'source-to-target': 'source → target',
    'target-to-source': 'target → source',
    both: 'both ways, by bucket',
    none: 'none (complete)',
  }[sync.direction];
  const feeds = sync.feeds
    ? `, change feeds: source ${sync.feeds.source ? 'on' : 'off'}, target ${sync.feeds.target ? 'on' : 'off'}`
    : '';
  const parked = sync.parked ? `, ${formatCount(sync.parked)} keys parked by a fence` : '';
  return `${arrow} at epoch ${sync.epoch ?? '?'}${feeds}${parked}`;
}

/** One line for `migrate status --watch` when the output is not a terminal. */
export function renderStatusLine(s: MigrationStatus): string {
  const { stage, epoch, percent, fenced } = s.stage;
  const sync = s.sync
    ? `sync ${s.sync.heartbeat}, lag ${formatDuration(s.sync.lagMs)}, queue ${formatCount(s.sync.queueDepth)}, direction ${s.sync.direction ?? 'source-to-target'}`
    : 'no sync';
  const behind = s.clients.filter((client) => client.epoch !== epoch).length;
  return (
    `${new Date().toISOString()} stage ${stage}${percent < 100 ? ` ${percent}%` : ''} epoch ${epoch}${fenced ? ' (fenced)' : ''}; ` +
    `${sync}; clients ${s.clients.length - behind}/${s.clients.length} on epoch`
  );
}
