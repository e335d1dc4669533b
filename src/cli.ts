import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { copyCommand } from './commands/copy.js';
import { cutoverCommand } from './commands/cutover.js';
import { exitCodeOf } from './commands/exit.js';
import { rollbackCommand } from './commands/rollback.js';
import type { GlobalFlags } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { verifyCommand } from './commands/verify.js';
import type { ExitCode } from './errors.js';

/** The program: flags every command shares, declared once, then one line per command. */
export function buildProgram(): Command {
  const program = new Command('migrate')
    .description(
      'Move a live Redis database off Upstash onto AWS ElastiCache without downtime and without losing a key.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'print JSON on stdout: one document (sync: a status line a second, then the summary)')
    .option('--quiet', 'no progress output')
    .option('--debug', 'show stack traces on errors')
    .configureHelp({ showGlobalOptions: true })
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

/** Runs the CLI to its exit code (src/commands/exit.ts chooses every one). */
export async function runCli(argv: string[]): Promise<ExitCode> {
  const program = buildProgram();
  let ended: unknown;
  try {
    await program.parseAsync(argv);
  } catch (error) {
    ended = error;
  }
  return exitCodeOf(ended, program.opts<GlobalFlags>());
}

/** Entry point of bin/migrate. */
export async function main(argv: string[]): Promise<never> {
  process.exit(await runCli(argv));
}

/** Read when the program is built, never when the library (src/index.ts) is imported. */
function packageVersion(): string {
  const file = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
