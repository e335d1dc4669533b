import { expireAtOf } from '../redis/expiry.js';
import { asNumber } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { dumpBatchScript } from '../redis/scripts.js';
import { type BatchCopier, sourceNow } from './batch-context.js';
import { batchStamp, deleteGone, failWholeBatch, releaseReply, tallyWrites } from './batch-steps.js';
import { type KeyWrite, writeKeys } from './write-batch.js';

/** DUMP/RESTORE copy of one batch: one EVAL dumps every key, one script call per node restores them with ABSTTL. */
export const copyDumpBatch: BatchCopier = async (context, node, keys, tally) => {
  const { source, target, options } = context;
  const [reply] = await execScripts(
    source,
    [scriptCommand(dumpBatchScript, undefined, [context.typeFilter, ...keys])],
    [dumpBatchScript],
    node,
  );
  if (reply instanceof Error) {
    failWholeBatch(context, keys, reply, tally);
    return;
  }
  const localAtRead = Date.now();
  const flat = Array.isArray(reply) ? reply : [];
  const sourceAtRead = asNumber(flat[0]);
  const stamp = batchStamp(context, flat, 1 + keys.length * 2, keys, tally);
  if (stamp === null) return;
  const restores: KeyWrite[] = [];
  const gone: Buffer[] = [];
  for (const [i, key] of keys.entries()) {
    const expiry = asNumber(flat[1 + i * 2]);
    const payload = flat[2 + i * 2];
    if (expiry === -3) continue; // filtered out by --type
    tally.counts.scanned++;
    const expireAt = expireAtOf(expiry);
    if (expiry === -2 || !Buffer.isBuffer(payload)) {
      gone.push(key);
      continue;
    }
    if (expireAt > 0 && expireAt <= sourceNow(sourceAtRead, localAtRead)) {
      gone.push(key);
      continue;
    }
    restores.push({ key, type: 'restore', expireAt, payload: [payload], bytes: payload.length });
  }
  releaseReply(flat);
  await deleteGone(context, gone, tally, stamp);
  tallyWrites(context, await writeKeys(target, restores, options.onConflict, stamp), restores, tally);
};
