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

/** Scripts that only read: sent as EVALSHA_RO to the ports that ask for it. */
const readOnlyShas = new Set<string>();
/** Ports whose read-only scripts go as EVALSHA_RO. */
const readOnlyPorts = new WeakSet<RedisPort>();

/** Marks a script body as read-only (it calls no write command) and returns it. */
export function readOnlyScript(body: string): string {
  readOnlyShas.add(sha1(body));
  return body;
}

/**
 * From now on, send read-only scripts to `port` as EVALSHA_RO (Redis 7+), which a `CLIENT PAUSE … WRITE` lets
 * through where it holds a plain EVALSHA: a window's drain and final verify read the paused server. A server that
 * does not know EVALSHA_RO (or an ACL that denies it) gets EVALSHA again, from then on. TCP ports only: the REST
 * adapter rewrites scripts itself.
 */
export function sendReadOnlyScripts(port: RedisPort): void {
  readOnlyPorts.add(port);
}

const readOnlyRefused = /unknown command|NOPERM/i;

const asReadOnly = (command: Command): Command =>
  command.name === 'EVALSHA' && readOnlyShas.has(String(command.args[0]))
    ? { ...command, name: 'EVALSHA_RO' }
    : command;

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
 * Runs commands, resending any EVALSHA refused with NOSCRIPT as EVAL with the script body (a fresh or restarted
 * server has an empty script cache; EVAL also fills it for later calls). Only the first refused call of each script
 * on each node carries the body: the rest follow it as EVALSHA in the same pipeline, which runs in order (a batch
 * of a call per key would otherwise send, and the server hash, the whole body once per key). A call refused again
 * goes as EVAL.
 */
export async function execScripts(
  port: RedisPort,
  commands: Command[],
  scripts: string[],
  node?: string,
): Promise<Reply[]> {
  const sent = readOnlyPorts.has(port) ? commands.map(asReadOnly) : commands;
  const replies = await port.exec(sent, node);
  if (sent !== commands && replies.some((r) => r instanceof Error && readOnlyRefused.test(r.message))) {
    readOnlyPorts.delete(port);
    return execScripts(port, commands, scripts, node);
  }
  const bodies = new Map(scripts.map((script) => [sha1(script), script]));
  const withBody = (command: Command): Command => {
    const body = bodies.get(String(command.args[0]));
    const name = command.name === 'EVALSHA_RO' ? 'EVAL_RO' : 'EVAL';
    return body === undefined ? command : { ...command, name, args: [body, ...command.args.slice(1)] };
  };
  const loading = new Set<string>(); // script and node pairs whose body is on its way
  const firstOfEach = (command: Command): Command => {
    const at = `${String(command.args[0])} ${command.key === undefined ? node : port.nodeOf(command.key)}`;
    if (loading.has(at)) return command;
    loading.add(at);
    return withBody(command);
  };
  for (const resend of [firstOfEach, withBody]) {
    const retry: number[] = [];
    replies.forEach((reply, i) => {
      if (reply instanceof Error && reply.message.startsWith('NOSCRIPT')) retry.push(i);
    });
    if (retry.length === 0) break;
    const resent = await port.exec(
      retry.map((i) => resend(sent[i]!)),
      node,
    );
    retry.forEach((index, j) => {
      replies[index] = resent[j] ?? null;
    });
  }
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
