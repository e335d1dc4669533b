import type { Command } from 'commander';
import { addEndpointFlags } from './endpoints.js';
import { wholeNumber } from './parse.js';
import { runCommand } from './run.js';
import {
  addSharedSwitchFlags,
  parsePercent,
  parseStage,
  parseVerify,
  runSwitchCommand,
  type SwitchFlags,
} from './switch-run.js';

export function cutoverCommand(program: Command): void {
  const command = addEndpointFlags(
    program
      .command('cutover')
      .description(
        'move the application one stage toward the target, gated by checks (or all at once with --window)',
      ),
  )
    .option('--to <stage>', 'the stage to move to: only the next one (default: the next stage)', parseStage)
    .option('--percent <n>', 'share of key buckets (1-100) to move to the stage', parsePercent)
    .option('--window', 'maintenance window: stop writes, drain, verify, and switch to rampdown at once')
    .option('--max-lag <ms>', 'largest sync lag the gates accept (default 1000)', wholeNumber('--max-lag', 0))
    .option(
      '--verify <mode>',
      'sample (default) or full: verify now; none: use the last saved verify',
      parseVerify,
    )
    .option('--force', 'switch even when gates fail (the drain always runs)');
  addSharedSwitchFlags(command, 'source').action((flags: SwitchFlags) =>
    runCommand(flags, (signal) => runSwitchCommand(flags, 'cutover', signal)),
  );
}
