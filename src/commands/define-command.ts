import type { Command } from 'commander';
import { addEndpointFlags } from './endpoints.js';

export interface CommandSpec {
  name: string;
  /** One line for `migrate --help`. */
  description: string;
  /** Two or three real invocations, shown at the end of the command's --help. */
  examples: readonly Example[];
}

export interface Example {
  /** What it is for, in operator words. */
  why: string;
  /** The command line, as typed in a shell. */
  run: string;
}

/**
 * A subcommand with what every command shares: the endpoint flags, and its examples at the end of --help. The
 * global flags (--json, --quiet, --debug) are the program's. A new command is
 * `defineCommand(program, spec).option(…).action(action(run))`, plus its line in src/cli.ts.
 */
export function defineCommand(program: Command, spec: CommandSpec): Command {
  const command = program.command(spec.name).description(spec.description);
  const examples = spec.examples.map((example) => `  # ${example.why}\n  ${example.run}`).join('\n');
  command.addHelpText('after', `\nExamples:\n${examples}\n`);
  return addEndpointFlags(command);
}
