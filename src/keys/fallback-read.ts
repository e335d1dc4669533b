import { asArray, asNumber, asText, type Command, cmd, type RedisPort, type Reply } from '../redis/port.js';
import { inlineLimit, redisType } from '../redis/types/index.js';
import type { BatchContext } from './batch-context.js';

/**
 * Reading a batch without Lua, for sources that refuse EVAL (scripting disabled, an ACL without it, a read-only
 * token). It answers in the batch read script's shape — nowMs, then per key type, expireAt, size, value (null when too
 * big to inline) — so the struct copy goes on unchanged. It costs about four commands per key instead of one EVAL
 * per batch: the price of a source without scripts. Its stamp (for stamped writes) is the TIME read before any value,
 * so it is never later than what was read.
 */

/** True when the server refused to run a script at all (not when a script failed). */
export const scriptsRefused = (error: Error): boolean =>
  /unknown command .?(eval|evalsha)\b|NOPERM.*\b(eval|evalsha|script)|scripts? (are |is )?(disabled|not allowed)/i.test(
    error.message,
  );

/** Sources known to refuse scripts in this run: no further EVAL is sent (and billed) to them. */
const refusing = new WeakSet<RedisPort>();

/** The scripted read, or the command-by-command read when the source refuses scripts. */
export async function readOrFallback(
  context: BatchContext,
  node: string,
  keys: Buffer[],
  scripted: () => Promise<Reply>,
): Promise<Reply> {
  if (!refusing.has(context.source)) {
    const reply = await scripted();
    if (!(reply instanceof Error && scriptsRefused(reply))) return reply;
    refusing.add(context.source);
  }
  return readWithoutScripts(context, node, keys);
}

/** Sources without PEXPIRETIME (Redis < 7.0, or an ACL without it): expiries are read as PTTL, beside TIME. */
const withoutExpireTime = new WeakSet<RedisPort>();

/**
 * Three pipelined round trips: TIME + TYPE + PEXPIRETIME, then sizes, then the values small enough to inline.
 * PEXPIRETIME is exact; a PTTL is only as exact as the pipeline is atomic, and it is not (a busy server may run
 * other clients' commands, or advance its clock, between TIME and a PTTL), so PTTL is the fallback.
 */
export async function readWithoutScripts(
  context: BatchContext,
  node: string,
  keys: Buffer[],
): Promise<Reply> {
  const { source, options } = context;
  const wanted = context.typeFilter === '' ? undefined : new Set(context.typeFilter.split(','));
  const absolute = !withoutExpireTime.has(source);
  const expiry = absolute ? 'PEXPIRETIME' : 'PTTL';
  const first = await source.exec(
    [cmd('TIME', []), ...keys.flatMap((k) => [cmd('TYPE', [k], k), cmd(expiry, [k], k)])],
    node,
  );
  const failed = first.find((r) => r instanceof Error);
  if (failed instanceof Error && absolute && /(unknown command|NOPERM).*pexpiretime/i.test(failed.message)) {
    withoutExpireTime.add(source);
    return readWithoutScripts(context, node, keys);
  }
  if (failed) return failed;
  const [seconds, micros] = asArray(first[0]);
  const now = asNumber(seconds) * 1000 + Math.floor(asNumber(micros) / 1000);
  // The batch shape carries an absolute expiry (-1 none, -2 gone): a PTTL is added to the TIME read beside it.
  const expiryOf = (read: number) => (absolute || read < 0 ? read : now + read);
  const reads = keys.map((key, i) => {
    const type = asText(first[1 + i * 2]);
    const listed = type === 'none' || wanted === undefined || wanted.has(type);
    return {
      key,
      type: listed ? type : 'filtered',
      expiry: listed && type !== 'none' ? expiryOf(asNumber(first[2 + i * 2])) : -2,
      size: 0,
      value: null as Reply,
    };
  });

  const sizeCommand = (type: string) => redisType(type)?.sizeCommand;
  const sized = reads.filter((r) => sizeCommand(r.type) !== undefined);
  const sizes = await source.exec(
    sized.map((r) => cmd(sizeCommand(r.type)!, [r.key], r.key)),
    node,
  );
  sized.forEach((r, i) => {
    r.size = asNumber(sizes[i]);
  });

  const valueReads: Array<{ read: (typeof reads)[number]; commands: Command[] }> = [];
  for (const r of reads) {
    const type = redisType(r.type);
    // Too big to inline: copied in chunks.
    const commands = type && r.size <= inlineLimit(type, options) ? type.wholeRead(r.key) : [];
    if (commands.length > 0) valueReads.push({ read: r, commands });
  }
  const values = await source.exec(
    valueReads.flatMap((v) => v.commands),
    node,
  );
  let at = 0;
  for (const { read, commands } of valueReads) {
    const replies = values.slice(at, at + commands.length);
    at += commands.length;
    // A key that changed type or vanished meanwhile goes to the chunked path, which reads it again.
    if (replies.some((r) => r instanceof Error || r === null)) continue;
    read.value = replies.length > 1 ? replies : (replies[0] ?? null);
  }
  const stamp = asNumber(seconds) * 1_000_000 + asNumber(micros);
  return [now, ...reads.flatMap((r) => [Buffer.from(r.type), r.expiry, r.size, r.value]), stamp];
}
