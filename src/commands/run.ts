import { ExitCode, MigrateError, messageOf } from '../errors.js';

export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/**
 * Runs a command body with SIGINT/SIGTERM wired to an AbortSignal (a second signal forces the exit), and maps
 * every failure to one line on stderr plus the documented exit code. The only place exit codes are set.
 */
export async function runCommand(
  flags: GlobalFlags,
  body: (signal: AbortSignal) => Promise<ExitCode>,
): Promise<never> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      process.stderr.write('migrate: forced stop\n');
      process.exit(ExitCode.interrupted);
    }
    if (!flags.quiet)
      process.stderr.write(
        '\nmigrate: stopping — finishing in-flight work and saving state (again to force)\n',
      );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: ExitCode;
  try {
    code = await body(controller.signal);
  } catch (error) {
    code = reportError(error, flags);
  }
  process.exit(code);
}

/** A command's result on stdout: one JSON document with --json, else its rendering (built only then). */
export function printResult<T>(flags: GlobalFlags, result: T, render: (result: T) => string): void {
  process.stdout.write(`${flags.json ? JSON.stringify(result) : render(result)}\n`);
}

function reportError(error: unknown, flags: GlobalFlags): ExitCode {
  const known = error instanceof MigrateError;
  const message = known ? error.message : `unexpected error: ${messageOf(error)}`;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: message, hint: known ? error.hint : undefined })}\n`,
    );
  }
  process.stderr.write(`migrate: ${message}\n`);
  if (known && error.hint) process.stderr.write(`  → ${error.hint}\n`);
  if (!known) process.stderr.write('  → rerun with --debug for details, and report it if it persists\n');
  if (flags.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return known ? error.code : ExitCode.incomplete;
}
