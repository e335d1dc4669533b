import type { Command } from 'commander';
import { readMigrationStatus } from '../control/migration-status.js';
import { openEndpoint } from '../redis/connect.js';
import type { RedisPort } from '../redis/port.js';
import { sleep } from '../retry.js';
import { renderMigrationStatus, renderStatusLine } from '../ui/sync-status.js';
import { defineCommand } from './define-command.js';
import { type EndpointFlags, endpointOptions } from './endpoints.js';
import type { Outcome } from './exit.js';
import { action, type GlobalFlags, printResult } from './run.js';

type StatusFlags = EndpointFlags & GlobalFlags & { watch?: boolean };

const watchEveryMs = 1000;

export function statusCommand(program: Command): void {
  defineCommand(program, {
    name: 'status',
    description: 'where the migration stands: stage, clients, sync heartbeat, lag, queue, last verify',
    examples: [
      {
        why: 'stage, clients, sync lag and queue, last verify: all kept on the target',
        run: 'migrate status --target "$ELASTICACHE"',
      },
      {
        why: 'the same with the source key count, as JSON',
        run: 'migrate status --source "$UPSTASH" --target "$ELASTICACHE" --json',
      },
      { why: 'watch a cutover from another terminal', run: 'migrate status --target "$ELASTICACHE" --watch' },
    ],
  })
    .option('--watch', 'redraw every second (a line per second when not on a terminal) until Ctrl-C')
    .action(action(runStatus));
}

async function runStatus(flags: StatusFlags, signal: AbortSignal): Promise<Outcome> {
  const target = await openEndpoint(endpointOptions(flags, 'target'));
  let source: RedisPort | undefined;
  try {
    // The source is optional here: everything status shows lives on the target; the source adds its key count.
    const hasSource = flags.source ?? process.env.MIGRATE_SOURCE_URL ?? process.env.UPSTASH_REDIS_REST_URL;
    if (hasSource) source = await openEndpoint(endpointOptions(flags, 'source'));
    if (!flags.watch) {
      printResult(flags, await readMigrationStatus(target, source), renderMigrationStatus);
      return 'done';
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
    return 'done';
  } finally {
    await Promise.allSettled([target.close(), source?.close()]);
  }
}
