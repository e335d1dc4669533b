import type { Command } from 'commander';
import { CommandEnded, forceExit, type Outcome } from './exit.js';

/** The program's flags, given before or after the command name (declared once, in src/cli.ts). */
export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** What a command does: gets its flags (the global ones included) and a stop signal, says how it ended. */
export type CommandBody<F extends GlobalFlags> = (flags: F, signal: AbortSignal) => Promise<Outcome>;

/**
 * A commander action running `body` with SIGINT/SIGTERM wired to its AbortSignal (a second signal forces the
 * exit). Errors go up to src/cli.ts untouched, and so does an outcome short of 'done' (as CommandEnded): the exit
 * code is chosen in one place, exitCodeOf.
 */
export function action<F extends GlobalFlags>(body: CommandBody<F>) {
  return async (_options: unknown, command: Command): Promise<void> => {
    const flags = command.optsWithGlobals<F>();
    const controller = new AbortController();
    const onSignal = () => {
      if (controller.signal.aborted) forceExit();
      if (!flags.quiet)
        process.stderr.write(
          '\nmigrate: stopping — finishing in-flight work and saving state (again to force)\n',
        );
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const outcome = await body(flags, controller.signal);
      if (outcome !== 'done') throw new CommandEnded(outcome);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}

/** A command's result on stdout: one JSON document with --json, else its rendering (built only then). */
export function printResult<T>(flags: GlobalFlags, result: T, render: (result: T) => string): void {
  process.stdout.write(`${flags.json ? JSON.stringify(result) : render(result)}\n`);
}
