import type { Command } from 'commander';
import { addEndpointFlags } from './endpoints.js';
import { runCommand } from './run.js';
import { addSharedSwitchFlags, parseStage, runSwitchCommand, type SwitchFlags } from './switch-run.js';

export function rollbackCommand(program: Command): void {
  const command = addEndpointFlags(
    program
      .command('rollback')
      .description(
        'move the application back one stage (or to --to), the source first catching up on every write',
      ),
  )
    .option(
      '--to <stage>',
      'the stage to go back to, one stage at a time (default: the stage before)',
      parseStage,
    )
    .option(
      '--window',
      'maintenance window: stop writes on the target, catch up the source, switch back at once',
    );
  addSharedSwitchFlags(command, 'target').action((flags: SwitchFlags) =>
    runCommand(flags, (signal) => runSwitchCommand(flags, 'rollback', signal)),
  );
}
