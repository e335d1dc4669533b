import type { Command } from 'commander';
import { defineCommand } from './define-command.js';
import { wholeNumber } from './parse.js';
import { action } from './run.js';
import {
  addSharedSwitchFlags,
  parsePercent,
  parseStage,
  parseVerify,
  runSwitchCommand,
  type SwitchFlags,
} from './switch-run.js';

export function cutoverCommand(program: Command): void {
  const command = defineCommand(program, {
    name: 'cutover',
    description:
      'move the application one stage toward the target, gated by checks (or all at once with --window)',
    examples: [
      {
        why: 'see the plan and every gate, change nothing',
        run: 'migrate cutover --source "$UPSTASH" --target "$ELASTICACHE" --dry-run',
      },
      {
        why: 'next stage for 10% of key buckets, waiting up to a minute for the gates',
        run: 'migrate cutover --source "$UPSTASH" --target "$ELASTICACHE" --percent 10 --wait 60',
      },
      {
        why: 'maintenance window: stop writes, drain, full verify, switch',
        run: 'migrate cutover --source "$UPSTASH" --target "$ELASTICACHE" --window --verify full',
      },
    ],
  })
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
  addSharedSwitchFlags(command, 'source').action(
    action<SwitchFlags>((flags, signal) => runSwitchCommand(flags, 'cutover', signal)),
  );
}
