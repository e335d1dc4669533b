import { expireAtOf } from '../redis/expiry.js';
import { asNumber } from '../redis/port.js';
import { execScripts, keysScriptCommand } from '../redis/script-runner.js';
import { readBatchScript } from '../redis/scripts.js';
import { maxRequestArgs, writeScriptOverhead } from '../redis/types/codec.js';
import { typeForm } from '../redis/types/index.js';
import { type BatchCopier, sourceNow } from './batch-context.js';
import { batchStamp, deleteGone, failWholeBatch, releaseReply, tallyWrites } from './batch-steps.js';
import { type BigKey, copyBigKey } from './big-key.js';
import { readOrFallback } from './fallback-read.js';
import { fitFieldTtls } from './field-ttl.js';
import { type KeyWrite, payloadBytes, writeKeys } from './write-batch.js';

/**
 * Type-aware copy of one batch: one EVAL reads type, expiry and (small) value of every key; one script call per
 * target node writes them, each key atomically; big keys follow in chunks.
 */
export const copyStructBatch: BatchCopier = async (context, node, keys, tally) => {
  const { source, target, options } = context;
  // A source that refuses scripts is read command by command instead (src/keys/fallback-read.ts).
  const reply = await readOrFallback(context, node, keys, async () => {
    // Keys declared where the source wants them (src/redis/key-rules.ts: a Serverless target read from once it is
    // the primary); the caller then gives keys of one slot (callGroups).
    const limits = [options.chunkSize, options.maxInlineBytes, context.typeFilter];
    const read = keysScriptCommand(source, readBatchScript, keys, limits);
    const [scripted] = await execScripts(source, [read], [readBatchScript], node);
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
  const stamp = batchStamp(context, flat, 1 + keys.length * 4, keys, tally);
  if (stamp === null) return;

  const writes: KeyWrite[] = [];
  const big: BigKey[] = [];
  const gone: Buffer[] = [];
  keys.forEach((key, i) => {
    const type = String(flat[1 + i * 4]);
    const expiry = asNumber(flat[2 + i * 4]);
    const value = flat[4 + i * 4] ?? false;
    if (type === 'filtered') return;
    tally.counts.scanned++;
    if (type === 'none' || expiry === -2) {
      gone.push(key);
      return;
    }
    const expireAt = expireAtOf(expiry);
    if (expireAt > 0 && expireAt <= now()) {
      gone.push(key);
      return;
    }
    const codec = typeForm(type);
    if (!codec) {
      tally.add(key, {
        kind: 'failed',
        reason: `type ${type} is not supported by the struct copy; try --mode dump`,
      });
      return;
    }
    const read = value === false ? undefined : codec.payload(value);
    if (!read || read.length + writeScriptOverhead > maxRequestArgs) {
      big.push({ key, type, expireAt, now, stamp });
      return;
    }
    const fitted = fitFieldTtls(type, read, options.fieldTtl);
    tally.gaveUpFieldTtls(key, fitted.droppedTtls);
    const payload = fitted.payload;
    writes.push({ key, type: fitted.type, expireAt, payload, bytes: payloadBytes(payload) });
  });
  releaseReply(flat);

  await deleteGone(context, gone, tally, stamp);
  tallyWrites(context, await writeKeys(target, writes, options.onConflict, stamp), writes, tally);

  const bigGone: Buffer[] = [];
  for (const entry of big) {
    const outcome = await copyBigKey(context, entry, tally);
    if (outcome === 'gone') bigGone.push(entry.key);
    else tally.add(entry.key, outcome);
  }
  await deleteGone(context, bigGone, tally, stamp);
};
