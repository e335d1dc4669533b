import { Command } from 'ioredis';

/**
 * Where a blocking command keeps its timeout: last (BLPOP, BLMOVE, BZPOPMIN …, seconds), first (BLMPOP, BZMPOP,
 * seconds) or after BLOCK (XREAD, XREADGROUP, ms), as ioredis's own flags list them.
 */

/** The timeout a blocking command was given, in ms (0: for ever). */
export function timeoutOf(name: string, args: readonly unknown[]): number {
  if (Command.checkFlag('LAST_ARG_TIMEOUT_COMMANDS', name)) return Number(args.at(-1)) * 1000 || 0;
  if (Command.checkFlag('FIRST_ARG_TIMEOUT_COMMANDS', name)) return Number(args[0]) * 1000 || 0;
  const at = blockOptionAt(args);
  return at < 0 ? 0 : Number(args[at + 1]) || 0;
}

/** The arguments with the timeout set to `ms` (seconds for the pop family, ms for XREAD's BLOCK). */
export function withTimeout(
  name: string,
  args: readonly unknown[],
  ms: number,
): Array<string | Buffer | number> {
  const copy = [...args] as Array<string | Buffer | number>;
  const seconds = Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '0';
  if (Command.checkFlag('LAST_ARG_TIMEOUT_COMMANDS', name)) copy[copy.length - 1] = seconds;
  else if (Command.checkFlag('FIRST_ARG_TIMEOUT_COMMANDS', name)) copy[0] = seconds;
  else {
    const at = blockOptionAt(args);
    if (at >= 0) copy[at + 1] = Number.isFinite(ms) ? String(Math.ceil(ms)) : '0';
  }
  return copy;
}

function blockOptionAt(args: readonly unknown[]): number {
  return args.findIndex((arg) => String(arg).toUpperCase() === 'BLOCK');
}
