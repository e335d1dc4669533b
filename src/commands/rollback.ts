import type { Command } from 'commander';
import { defineCommand } from './define-command.js';
import { action } from './run.js';
import { addSharedSwitchFlags, parseStage, runSwitchCommand, type SwitchFlags } from './switch-run.js';

export function rollbackCommand(program: Command): void {
  const command = defineCommand(program, {
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
    );
  addSharedSwitchFlags(command, 'target').action(
    action<SwitchFlags>((flags, signal) => runSwitchCommand(flags, 'rollback', signal)),
  );
}
