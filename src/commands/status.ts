import type { Command } from 'commander';
import { readMigrationStatus } from '../control/migration-status.js';
import { openEndpoint } from '../redis/connect.js';
import type { RedisPort } from '../redis/port.js';
import { renderMigrationStatus } from '../ui/sync-status.js';
import { defineCommand } from './define-command.js';
import { type EndpointFlags, endpointOptions } from './endpoints.js';
import type { Outcome } from './exit.js';
import { action, type GlobalFlags, printResult } from './run.js';

type StatusFlags = EndpointFlags & GlobalFlags;

export function statusCommand(program: Command): void {
  defineCommand(program, {
    name: 'status',
    description: 'where the migration stands: stage, sync heartbeat, lag, queue, last verify',
    examples: [
      {
        why: 'stage, sync lag and queue, last verify: all kept on the target',
        run: 'migrate status --target "$ELASTICACHE"',
      },
      {
        why: 'the same with the source key count, as JSON',
        run: 'migrate status --source "$UPSTASH" --target "$ELASTICACHE" --json',
      },
    ],
  }).action(action(runStatus));
}

async function runStatus(flags: StatusFlags): Promise<Outcome> {
  const target = await openEndpoint(endpointOptions(flags, 'target'));
  let source: RedisPort | undefined;
  try {
    // The source is optional here: everything status shows lives on the target; the source adds its key count.
    const hasSource = flags.source ?? process.env.MIGRATE_SOURCE_URL ?? process.env.UPSTASH_REDIS_REST_URL;
    if (hasSource) source = await openEndpoint(endpointOptions(flags, 'source'));
    const status = await readMigrationStatus(target, source);
    printResult(flags, status, renderMigrationStatus);
    return 'done';
  } finally {
    await Promise.allSettled([target.close(), source?.close()]);
  }
}
