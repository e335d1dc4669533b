import type { Command } from 'commander';
import { readMigrationStatus } from '../control/migration-status.js';
import { ExitCode } from '../errors.js';
import { openEndpoint } from '../redis/connect.js';
import type { RedisPort } from '../redis/port.js';
import { sleep } from '../retry.js';
import { renderMigrationStatus, renderStatusLine } from '../ui/sync-status.js';
import { addEndpointFlags, type EndpointFlags, endpointOptions } from './endpoints.js';
import { type GlobalFlags, printResult, runCommand } from './run.js';

type StatusFlags = EndpointFlags & GlobalFlags & { watch?: boolean };

const watchEveryMs = 1000;

export function statusCommand(program: Command): void {
  addEndpointFlags(
    program
      .command('status')
      .description('where the migration stands: stage, sync heartbeat, lag, queue, last verify'),
  )
    .option('--watch', 'redraw every second (a line per second when not on a terminal) until Ctrl-C')
    .option('--json', 'print one JSON document on stdout (with --watch: one per line)')
    .option('--debug', 'show stack traces on errors')
    .action((flags: StatusFlags) => runCommand(flags, (signal) => runStatus(flags, signal)));
}

async function runStatus(flags: StatusFlags, signal: AbortSignal): Promise<ExitCode> {
  const target = await openEndpoint(endpointOptions(flags, 'target'));
  let source: RedisPort | undefined;
  try {
    // The source is optional here: everything status shows lives on the target; the source adds its key count.
    const hasSource = flags.source ?? process.env.MIGRATE_SOURCE_URL ?? process.env.UPSTASH_REDIS_REST_URL;
    if (hasSource) source = await openEndpoint(endpointOptions(flags, 'source'));
    if (!flags.watch) {
      printResult(flags, await readMigrationStatus(target, source), renderMigrationStatus);
      return ExitCode.ok;
    }
    const tty = process.stdout.isTTY && !flags.json;
    while (!signal.aborted) {
      const status = await readMigrationStatus(target, source);
      if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      // On a terminal: home the cursor, clear, draw; elsewhere one line per second.
      else if (tty) process.stdout.write(`\x1b[H\x1b[2J${renderMigrationStatus(status)}\n(Ctrl-C to stop)\n`);
      else process.stdout.write(`${renderStatusLine(status)}\n`);
      await sleep(watchEveryMs, signal);
    }
    return ExitCode.ok;
  } finally {
    await Promise.allSettled([target.close(), source?.close()]);
  }
}
