import { CommanderError } from 'commander';
import { ExitCode, MigrateError, messageOf } from '../errors.js';
import type { GlobalFlags } from './run.js';

/**
 * How a command ended, in its own words: everything done, finished short (keys failed, data differs), stopped, a
 * gate not met (nothing changed), or a failure it already reported: refused (bad input, preflight) or unreachable.
 */
export type Outcome = 'done' | 'incomplete' | 'interrupted' | 'not-ready' | 'refused' | 'unreachable';

const outcomeCodes: Record<Outcome, ExitCode> = {
  done: ExitCode.ok,
  incomplete: ExitCode.incomplete,
  interrupted: ExitCode.interrupted,
  'not-ready': ExitCode.notReady,
  refused: ExitCode.usage,
  unreachable: ExitCode.connect,
};

/** The outcome that carries `code` (a failure a command reported itself). */
export const outcomeOf = (code: ExitCode): Outcome =>
  (Object.keys(outcomeCodes) as Outcome[]).find((outcome) => outcomeCodes[outcome] === code) ?? 'incomplete';

/** A command ended short of 'done' and has printed its result: only the exit code is left to give. */
export class CommandEnded extends Error {
  constructor(readonly outcome: Outcome) {
    super(`command ended: ${outcome}`);
    this.name = 'CommandEnded';
  }
}

/** Commander's ways of ending well: help or version shown. */
const commanderDone = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * The exit code of whatever ended a run (nothing: the command was done), and the one place one is chosen (README,
 * "Exit codes"). An error nobody reported yet is reported here: one line and a hint on stderr, a JSON document on
 * stdout with --json, the stack with --debug. Commander has already printed its own usage errors.
 */
export function exitCodeOf(ended: unknown, flags: GlobalFlags): ExitCode {
  if (ended === undefined) return outcomeCodes.done;
  if (ended instanceof CommandEnded) return outcomeCodes[ended.outcome];
  if (ended instanceof CommanderError) return commanderDone.has(ended.code) ? ExitCode.ok : ExitCode.usage;
  reportError(ended, flags);
  return ended instanceof MigrateError ? ended.code : ExitCode.incomplete;
}

/** A second SIGINT: stop now, without waiting for in-flight work (state saved so far stays resumable). */
export function forceExit(): never {
  process.stderr.write('migrate: forced stop\n');
  process.exit(ExitCode.interrupted);
}

function reportError(error: unknown, flags: GlobalFlags): void {
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
}
