import type { Command } from 'commander';
import { defineCommand } from './define-command.js';
import { action } from './run.js';
import { parseQuietFor, parseSeconds, parseStage, runSwitchCommand, type SwitchFlags } from './switch-run.js';

export function rollbackCommand(program: Command): void {
  defineCommand(program, {
    name: 'rollback',
    description:
      'move the application back one stage (or to --to), the source first catching up on every write',
    examples: [
      {
        why: 'one stage back, the source catching up first',
        run: 'migrate rollback --source "$UPSTASH" --target "$ELASTICACHE"',
      },
      {
        why: 'back from a window cutover, as one step',
        run: 'migrate rollback --source "$UPSTASH" --target "$ELASTICACHE" --window',
      },
      {
        why: 'see what a rollback would do',
        run: 'migrate rollback --source "$UPSTASH" --target "$ELASTICACHE" --dry-run --json',
      },
    ],
  })
    .option(
      '--to <stage>',
      'the stage to go back to, one stage at a time (default: the stage before)',
      parseStage,
    )
    .option(
      '--window',
      'maintenance window: stop writes on the target, catch up the source, switch back at once',
    )
    .option(
      '--fence',
      'with --window: pause the target’s writes with CLIENT PAUSE instead of waiting for quiet',
    )
    .option(
      '--quiet-for <ms>',
      'with --window: no change for this long counts as writes stopped (default 3000)',
      parseQuietFor,
    )
    .option(
      '--wait <seconds>',
      'keep re-checking failed gates this long before giving up (exit 4)',
      parseSeconds,
    )
    .option('--reason <text>', 'why: saved with the stage record and its history')
    .option('--dry-run', 'print the plan and the gates; change nothing')
    .action(action<SwitchFlags>((flags, signal) => runSwitchCommand(flags, 'rollback', signal)));
}
