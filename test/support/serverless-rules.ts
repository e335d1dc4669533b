/**
 * What ElastiCache Serverless refuses before a request reaches the engine, and what it answers. The texts are AWS's
 * where AWS documents them; where it does not, a plausible ERR reply in the engine's own style (said beside each).
 * Sources: the ElastiCache guide's "Lua scripts" best practice (keyless scripts), "Valkey and Redis OSS configuration
 * and limits" (3,999 arguments), "Restricted commands" (CONFIG, DEBUG, MIGRATE, SAVE…) and reports of KEYS refused on
 * Valkey Serverless. CROSSSLOT and "SELECT is not allowed in cluster mode" come from the cluster-mode engine itself.
 */
import type { RequestHead } from './resp.js';

export type RefusalKind = 'keyless-script' | 'too-many-arguments' | 'restricted-command' | 'select';

export interface Refusal {
  kind: RefusalKind;
  /** The error reply, without the leading '-'. */
  message: string;
}

/** Arguments one request may carry, its name included ("clients cannot issue a request with more than 3,999"). */
export const maxArguments = 3999;

/** Documented as unavailable on ElastiCache, plus KEYS (refused by Serverless) and the replication handshake. */
const restricted = new Set([
  ...['BGREWRITEAOF', 'BGSAVE', 'CONFIG', 'DEBUG', 'MIGRATE', 'REPLICAOF', 'SAVE', 'SLAVEOF', 'SHUTDOWN'],
  ...['SYNC', 'PSYNC', 'KEYS', 'MODULE'],
]);

/**
 * Subcommands refused where the command itself is allowed: Serverless pauses no one's connections (CLIENT PAUSE is
 * not among its supported CLIENT subcommands). Undocumented text: the engine's own reply to an unknown subcommand.
 */
const restrictedSubcommands = new Map([['CLIENT', new Set(['PAUSE', 'UNPAUSE'])]]);

/** Script commands: each carries numkeys after its script, SHA or function name. */
const scripts = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

export function refusalOf(request: RequestHead): Refusal | undefined {
  if (request.argc > maxArguments) {
    // Undocumented text: AWS documents the limit, not its error reply.
    return {
      kind: 'too-many-arguments',
      message: `ERR too many arguments: a request may carry at most ${maxArguments}`,
    };
  }
  const { name, args } = request;
  if (restricted.has(name)) return { kind: 'restricted-command', message: unknownCommand(name, args) };
  const subcommand = args[0]?.toString('latin1').toUpperCase() ?? '';
  if (restrictedSubcommands.get(name)?.has(subcommand)) {
    return {
      kind: 'restricted-command',
      message: `ERR unknown subcommand '${subcommand.toLowerCase()}'. Try ${name} HELP.`,
    };
  }
  if (scripts.has(name) && Number(args[1]?.toString('latin1')) === 0) {
    // AWS's documented text for EVAL; FCALL with no keys is assumed to be refused the same way.
    return { kind: 'keyless-script', message: 'ERR Lua scripts without any input keys are not supported.' };
  }
  if (name === 'SELECT' && args[0]?.toString('latin1') !== '0') {
    return { kind: 'select', message: 'ERR SELECT is not allowed in cluster mode' };
  }
  return undefined;
}

/** The engine's own reply to a command it does not know (ElastiCache disables commands by renaming them away). */
function unknownCommand(name: string, args: Buffer[]): string {
  const shown = args.map((arg) => `'${arg.toString('latin1', 0, 128)}' `).join('');
  return `ERR unknown command '${name}', with args beginning with: ${shown}`;
}
