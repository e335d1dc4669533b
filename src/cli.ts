import { Command, CommanderError } from 'commander';
import { copyCommand } from './commands/copy.js';
import { cutoverCommand } from './commands/cutover.js';
import { rollbackCommand } from './commands/rollback.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { verifyCommand } from './commands/verify.js';
import { ExitCode, MigrateError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('migrate')
    .description(
      'Move a live Redis database off Upstash onto AWS ElastiCache without downtime and without losing a key.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  copyCommand(program);
  syncCommand(program);
  statusCommand(program);
  verifyCommand(program);
  cutoverCommand(program);
  rollbackCommand(program);
  return program;
}

/** Entry point of bin/migrate. Usage errors (commander's and ours) exit 2 with one line; see src/commands/run.ts. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const done =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      process.exit(done ? ExitCode.ok : ExitCode.usage);
    }
    if (error instanceof MigrateError) {
      process.stderr.write(`migrate: ${error.message}\n${error.hint ? `  → ${error.hint}\n` : ''}`);
      process.exit(error.code);
    }
    throw error;
  }
}
