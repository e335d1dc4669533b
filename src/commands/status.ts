import type { Command } from 'commander';
import { readMigrationStatus } from '../control/migration-status.js';
import { ExitCode } from '../errors.js';
import { openEndpoint } from '../redis/connect.js';
import type { RedisPort } from '../redis/port.js';
import { renderMigrationStatus } from '../ui/sync-status.js';
import { addEndpointFlags, type EndpointFlags, endpointOptions } from './endpoints.js';
import { type GlobalFlags, printResult, runCommand } from './run.js';

type StatusFlags = EndpointFlags & GlobalFlags;

export function statusCommand(program: Command): void {
  addEndpointFlags(
    program
      .command('status')
      .description('where the migration stands: stage, sync heartbeat, lag, queue, last verify'),
  )
    .option('--json', 'print one JSON document on stdout')
    .option('--debug', 'show stack traces on errors')
    .action((flags: StatusFlags) => runCommand(flags, () => runStatus(flags)));
}

async function runStatus(flags: StatusFlags): Promise<ExitCode> {
  const target = await openEndpoint(endpointOptions(flags, 'target'));
  let source: RedisPort | undefined;
  try {
    // The source is optional here: everything status shows lives on the target; the source adds its key count.
    const hasSource = flags.source ?? process.env.MIGRATE_SOURCE_URL ?? process.env.UPSTASH_REDIS_REST_URL;
    if (hasSource) source = await openEndpoint(endpointOptions(flags, 'source'));
    const status = await readMigrationStatus(target, source);
    printResult(flags, status, renderMigrationStatus);
    return ExitCode.ok;
  } finally {
    await Promise.allSettled([target.close(), source?.close()]);
  }
}
