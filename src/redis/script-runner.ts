import { createHash } from 'node:crypto';
import { keyRulesOf } from './key-rules.js';
import { type Arg, type Command, cmd, type RedisPort, type Reply } from './port.js';
import { callGroups } from './routing.js';

const shaOf = new Map<string, string>();
const bodyOf = new Map<string, string>();
const sha1 = (script: string): string => {
  let sha = shaOf.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shaOf.set(script, sha);
    bodyOf.set(sha, script);
  }
  return sha;
};

/** The body of a script sent by `scriptCommand` (adapters that must rewrite an EVALSHA need it). */
export const scriptBodyOf = (sha: string): string | undefined => bodyOf.get(sha);

/** EVALSHA with one routing key (KEYS[1]); keyless scripts pass `undefined` and take keys in ARGV. */
export function scriptCommand(script: string, key: Buffer | string | undefined, args: Arg[]): Command {
  return key === undefined
    ? cmd('EVALSHA', [sha1(script), 0, ...args])
    : cmd('EVALSHA', [sha1(script), 1, key, ...args], key);
}

/** EVALSHA declaring every key of `keys` (numkeys = their count), routed by the first. */
export const declaredScriptCommand = (script: string, keys: Array<Buffer | string>, args: Arg[]): Command =>
  cmd('EVALSHA', [sha1(script), keys.length, ...keys, ...args], keys[0]);

/**
 * A script call over many keys, as the port's server takes them (src/redis/key-rules.ts): declared in KEYS before
 * `args` ('by-slot'), or undeclared in ARGV after `args` ('by-node'). Scripts read them with `keyList` (scripts.ts).
 * Either way the call is routed by its first key.
 */
export function keysScriptCommand(port: RedisPort, script: string, keys: Buffer[], args: Arg[]): Command {
  return keyRulesOf(port) === 'by-slot'
    ? declaredScriptCommand(script, keys, args)
    : cmd('EVALSHA', [sha1(script), 0, ...args, ...keys], keys[0]);
}

/**
 * Runs commands, resending any EVALSHA refused with NOSCRIPT as EVAL with the script body
 * (a fresh or restarted server has an empty script cache; EVAL also fills it for later calls).
 */
export async function execScripts(
  port: RedisPort,
  commands: Command[],
  scripts: string[],
  node?: string,
): Promise<Reply[]> {
  const replies = await port.exec(commands, node);
  const retry: number[] = [];
  replies.forEach((reply, i) => {
    if (reply instanceof Error && reply.message.startsWith('NOSCRIPT')) retry.push(i);
  });
  if (retry.length === 0) return replies;
  const bodies = new Map(scripts.map((script) => [sha1(script), script]));
  const resent = await port.exec(
    retry.map((i) => {
      const command = commands[i]!;
      const body = bodies.get(String(command.args[0]));
      return body === undefined
        ? command
        : { ...command, name: 'EVAL', args: [body, ...command.args.slice(1)] };
    }),
    node,
  );
  retry.forEach((index, j) => {
    replies[index] = resent[j] ?? null;
  });
  return replies;
}

/**
 * Runs `script` over `keys`, one call per group of callGroups (a node, or a slot where keys must be declared), all
 * in one round trip. Returns each group (indexes into `keys`) with its call's reply, in order.
 */
export async function scriptPerGroup(
  port: RedisPort,
  script: string,
  keys: readonly Buffer[],
  args: Arg[],
): Promise<Array<{ indexes: number[]; reply: Reply }>> {
  const groups = callGroups(port, keys);
  const commands = groups.map(({ indexes }) =>
    keysScriptCommand(
      port,
      script,
      indexes.map((i) => keys[i]!),
      args,
    ),
  );
  const replies = await execScripts(port, commands, [script]);
  return groups.map(({ indexes }, g) => ({ indexes, reply: replies[g] ?? null }));
}
