import { createHash } from 'node:crypto';
import { type Arg, type Command, cmd, type RedisPort, type Reply } from './port.js';

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

/** EVALSHA that declares `keys` (all of one slot, for a cluster): KEYS[1..n], routed by the first. */
export function scriptCommandKeys(script: string, keys: Array<Buffer | string>, args: Arg[]): Command {
  return cmd('EVALSHA', [sha1(script), keys.length, ...keys, ...args], keys[0]);
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
