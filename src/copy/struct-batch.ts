import { absoluteExpiry } from '../redis/expiry.js';
import { type Arg, asNumber, type Command, cmd, type Reply } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { readBatchScript, writeKeyScript } from '../redis/scripts.js';
import { maxRequestArgs, writeScriptOverhead } from '../redis/types/codec.js';
import { codecs } from '../redis/types/index.js';
import { type BatchCopier, sourceNow } from './batch-context.js';
import { deleteGone, failWholeBatch, tallyWrites } from './batch-steps.js';
import { type BigKey, copyBigKey, payloadBytes } from './big-key.js';
import { readOrFallback } from './fallback-read.js';

/** One key as the batch read script saw it. */
interface KeyRead {
  key: Buffer;
  type: string;
  /** Absolute expiry in source-clock ms; 0 = none. */
  expireAt: number;
  value: Reply | false;
}

/**
 * Type-aware copy of one batch: one EVAL reads type, expiry and (small) value of every key; one pipeline per
 * target node writes them, each key atomically; big keys follow in chunks.
 */
export const copyStructBatch: BatchCopier = async (context, node, keys, tally) => {
  const { source, target, options } = context;
  // A source that refuses scripts is read command by command instead (src/copy/fallback-read.ts).
  const reply = await readOrFallback(context, node, keys, async () => {
    const [scripted] = await execScripts(
      source,
      [
        scriptCommand(readBatchScript, undefined, [
          options.chunkSize,
          options.maxInlineBytes,
          context.typeFilter,
          ...keys,
        ]),
      ],
      [readBatchScript],
      node,
    );
    return scripted ?? null;
  });
  if (reply instanceof Error) {
    failWholeBatch(context, keys, reply, tally);
    return;
  }
  const localAtRead = Date.now();
  const flat = Array.isArray(reply) ? reply : [];
  const sourceAtRead = asNumber(flat[0]);
  const now = () => sourceNow(sourceAtRead, localAtRead);

  const policy = options.onConflict ?? 'replace';
  const writes: Command[] = [];
  const written: Array<{ key: Buffer; bytes: number }> = [];
  const big: BigKey[] = [];
  const gone: Buffer[] = [];
  keys.forEach((key, i) => {
    const type = String(flat[1 + i * 4]);
    const pttl = asNumber(flat[2 + i * 4]);
    const value = flat[4 + i * 4] ?? false;
    if (type === 'filtered') return;
    tally.counts.scanned++;
    if (type === 'none' || pttl === -2) {
      gone.push(key);
      return;
    }
    const read: KeyRead = { key, type, expireAt: absoluteExpiry(pttl, sourceAtRead), value };
    if (read.expireAt > 0 && read.expireAt <= now()) {
      gone.push(key);
      return;
    }
    const codec = codecs[type];
    if (!codec) {
      tally.add(key, {
        kind: 'failed',
        reason: `type ${type} is not supported by the struct copy; try --mode dump`,
      });
      return;
    }
    const payload = value === false ? undefined : codec.payload(value);
    if (!payload || payload.length + writeScriptOverhead > maxRequestArgs) {
      big.push({ key, type, expireAt: read.expireAt, now });
      return;
    }
    writes.push(writeCommand(read, payload, policy));
    written.push({ key, bytes: payloadBytes(payload) });
  });

  await deleteGone(context, gone, tally);
  tallyWrites(context, await execScripts(target, writes, [writeKeyScript]), written, tally);

  const bigGone: Buffer[] = [];
  for (const entry of big) {
    const outcome = await copyBigKey(context, entry);
    if (outcome === 'gone') bigGone.push(entry.key);
    else tally.add(entry.key, outcome);
  }
  await deleteGone(context, bigGone, tally);
};

/** Strings under --on-conflict replace go as one SET (the common case, and the fastest); the rest through the script. */
function writeCommand(read: KeyRead, payload: Arg[], policy: string): Command {
  if (read.type === 'string' && policy === 'replace') {
    const args: Arg[] = [read.key, payload[0] ?? ''];
    if (read.expireAt > 0) args.push('PXAT', read.expireAt);
    return cmd('SET', args, read.key);
  }
  return scriptCommand(writeKeyScript, read.key, [read.type, read.expireAt, policy, ...payload]);
}
