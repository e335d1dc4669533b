import type { Command } from 'commander';
import type { SyncStatus } from '../control/sync-status.js';
import { sourceRate } from '../redis/rate-limit.js';
import { defaultSyncOptions, type SyncOptions } from '../sync/options.js';
import { syncKeys } from '../sync/sync-keys.js';
import { renderSyncLine, renderSyncSummary } from '../ui/sync-status.js';
import { defineCommand } from './define-command.js';
import { type EndpointFlags, openBoth, rateOption } from './endpoints.js';
import type { Outcome } from './exit.js';
import { wholeNumber } from './parse.js';
import { action, type GlobalFlags, printResult } from './run.js';

export interface SyncFlags extends EndpointFlags, GlobalFlags {
  match: string;
  configureNotifications?: boolean;
  stateDir: string;
  maxRetries: number;
  drainTimeout: number;
  skipInitialCopy?: boolean;
  rate?: number;
}

/** Periodic lines when stderr is not a terminal. */
const plainEveryMs = 5000;

export function syncCommand(program: Command): void {
  const d = defaultSyncOptions;
  defineCommand(program, {
    name: 'sync',
    description:
      'live sync: initial copy, then every change on the source follows to the target, until stopped',
    examples: [
      {
        why: 'copy, then follow every change until Ctrl-C (Upstash lets sync turn notifications on)',
        run: 'migrate sync --source "$UPSTASH" --target "$ELASTICACHE" --configure-notifications',
      },
      {
        why: 'sessions only, at most 2000 source commands a second (URLs from MIGRATE_SOURCE_URL/_TARGET_URL)',
        run: "migrate sync --match 'session:*' --rate 2000",
      },
      {
        why: 'a JSON status line a second, for a log',
        run: 'migrate sync --source "$UPSTASH" --target "$ELASTICACHE" --json > sync.jsonl',
      },
    ],
  })
    .option('--match <glob>', 'sync only keys matching this pattern', d.match)
    .option(
      '--configure-notifications',
      'turn keyspace notifications on at the source (CONFIG SET; Upstash allows it)',
    )
    .option('--state-dir <dir>', 'where the retry queue, dead letters and checkpoint are kept', d.stateDir)
    .option(
      '--max-retries <n>',
      'attempts per key before it goes to the dead-letter list',
      wholeNumber('--max-retries', 1, 1000),
      d.maxRetries,
    )
    .option(
      '--drain-timeout <ms>',
      'on stop, how long to keep applying queued changes',
      wholeNumber('--drain-timeout', 0),
      d.drainTimeoutMs,
    )
    .addOption(rateOption())
    .option(
      '--skip-initial-copy',
      'do not copy everything first: only when the target was already copied and notifications have been on since',
    )
    .action(action(runSync));
}

/** The sync's options from its flags (the rate's Upstash default waits for the source: see runSync). */
export function syncOptions(flags: SyncFlags): SyncOptions {
  return {
    ...defaultSyncOptions,
    match: flags.match,
    configureNotifications: flags.configureNotifications === true,
    stateDir: flags.stateDir,
    maxRetries: flags.maxRetries,
    drainTimeoutMs: flags.drainTimeout,
    skipInitialCopy: flags.skipInitialCopy === true,
    rate: flags.rate,
  };
}

async function runSync(flags: SyncFlags, signal: AbortSignal): Promise<Outcome> {
  const options = syncOptions(flags);
  const ends = await openBoth(flags);
  options.rate = sourceRate(ends.source, options.rate);
  const show = statusDisplay(flags);
  try {
    const report = await syncKeys(ends.source, ends.target, options, { signal, onStatus: show.update });
    show.stop();
    printResult(flags, report, renderSyncSummary);
    if (!report.drained || report.initialCopy?.interrupted) return 'interrupted';
    return report.deadLetters.length > 0 ? 'incomplete' : 'done';
  } finally {
    show.stop();
    await ends.close();
  }
}

/** JSON lines on stdout, a rewritten line on a terminal, or a plain line every few seconds. */
function statusDisplay(flags: SyncFlags): { update(status: SyncStatus): void; stop(): void } {
  if (flags.json) return { update: (s) => process.stdout.write(`${JSON.stringify(s)}\n`), stop() {} };
  if (flags.quiet) return { update() {}, stop() {} };
  const stream = process.stderr;
  if (stream.isTTY) {
    let shown = false;
    return {
      update(s) {
        stream.write(`\r\x1b[2K${renderSyncLine(s)}`);
        shown = true;
      },
      stop() {
        if (shown) stream.write('\n');
        shown = false;
      },
    };
  }
  let last = 0;
  return {
    update(s) {
      if (Date.now() - last < plainEveryMs) return;
      last = Date.now();
      stream.write(`${renderSyncLine(s)}\n`);
    },
    stop() {},
  };
}
