import { absoluteExpiry } from '../redis/expiry.js';
import { type Arg, asNumber, asText, cmd } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { dumpBatchScript } from '../redis/scripts.js';
import { type BatchCopier, sourceNow } from './batch-context.js';
import { deleteGone, failWholeBatch, tallyWrites } from './batch-steps.js';

/** DUMP/RESTORE copy of one batch: one EVAL dumps every key, one pipeline per node restores them with ABSTTL. */
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
  const policy = options.onConflict ?? 'replace';
  const restores = [];
  const restored: Array<{ key: Buffer; bytes: number }> = [];
  const gone: Buffer[] = [];
  for (const [i, key] of keys.entries()) {
    const pttl = asNumber(flat[1 + i * 2]);
    const payload = flat[2 + i * 2];
    if (pttl === -3) continue; // filtered out by --type
    tally.counts.scanned++;
    const expireAt = absoluteExpiry(pttl, sourceAtRead);
    if (pttl === -2 || !Buffer.isBuffer(payload)) {
      gone.push(key);
      continue;
    }
    if (expireAt > 0 && expireAt <= sourceNow(sourceAtRead, localAtRead)) {
      gone.push(key);
      continue;
    }
    const args: Arg[] = [key, expireAt, payload, 'ABSTTL'];
    if (policy === 'replace') args.push('REPLACE');
    restores.push(cmd('RESTORE', args, key));
    restored.push({ key, bytes: payload.length });
  }
  await deleteGone(context, gone, tally);
  const replies = await target.exec(restores);
  // RESTORE's BUSYKEY does not say what the target holds; the operator deciding on a conflict needs the type.
  const busy = replies.flatMap((reply, i) =>
    reply instanceof Error && /^BUSYKEY/.test(reply.message) ? [i] : [],
  );
  if (busy.length > 0 && policy === 'fail') {
    const types = await target.exec(busy.map((i) => cmd('TYPE', [restored[i]!.key], restored[i]!.key)));
    busy.forEach((index, j) => {
      replies[index] = Buffer.from(`exists:${asText(types[j])}`);
    });
  }
  tallyWrites(context, replies, restored, tally);
};
