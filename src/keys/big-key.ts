import { MigrateError } from '../errors.js';
import { asNumber, asText, cmd } from '../redis/port.js';
import { declaredScriptCommand, execScripts, scriptCommand } from '../redis/script-runner.js';
import { renameStampedScript, writeKeyScript } from '../redis/scripts.js';
import { stampKeyFor, tempKeyFor } from '../redis/slot.js';
import { typeForm } from '../redis/types/index.js';
import type { BatchContext } from './batch-context.js';
import { fitFieldTtls } from './field-ttl.js';
import { writeOutcome } from './outcome.js';
import { stampTtlMs } from './stamp.js';
import type { KeyOutcome, Tally } from './tally.js';
import { payloadBytes } from './write-batch.js';

/** A temporary key left by a crash disappears on its own after this long. */
const tempKeyTtlMs = 6 * 3600_000;

export interface BigKey {
  key: Buffer;
  type: string;
  /** Absolute expiry in source-clock ms; 0 = none. */
  expireAt: number;
  /** Estimates the source clock now. */
  now: () => number;
  /** The batch read's stamp: the rename into place refuses to replace a newer copy (src/keys/stamp.ts). */
  stamp?: number | undefined;
}

/**
 * Copies a key too big for one request: chunks go to a temporary key in the same slot, which is then given the
 * expiry and RENAMEd into place, so readers never see half a key (docs/invariants.md #5). 'gone' means the key vanished or
 * expired on the source meanwhile: the caller deletes it on the target (deleteGone).
 */
export async function copyBigKey(
  context: BatchContext,
  big: BigKey,
  tally?: Tally,
): Promise<KeyOutcome | 'gone'> {
  const { source, target, options } = context;
  const policy = options.onConflict;
  if (policy !== 'replace') {
    const [exists] = await target.exec([cmd('EXISTS', [big.key], big.key)]);
    if (asNumber(exists) === 1) return writeOutcome(Buffer.from(`exists:${big.type}`), policy, 0);
  }
  const codec = typeForm(big.type);
  if (!codec) return { kind: 'failed', reason: `type ${big.type} is not supported` };
  const temp = tempKeyFor(big.key);
  let bytes = 0;
  let wrote = false;
  let droppedTtls = 0;
  try {
    // A source error mid-key (or a refused chunk) fails this key only; the temporary key is removed.
    for await (const chunk of codec.chunks(source, big.key, options.chunkSize)) {
      const { type, payload, droppedTtls: dropped } = fitFieldTtls(big.type, chunk, options.fieldTtl);
      droppedTtls += dropped;
      const write = scriptCommand(writeKeyScript, temp, [type, 0, 'append', ...payload]);
      const commands = wrote
        ? [write]
        : [cmd('DEL', [temp], temp), write, cmd('PEXPIRE', [temp, tempKeyTtlMs], temp)];
      const replies = await execScripts(target, commands, [writeKeyScript]);
      const failed = replies.find((r) => r instanceof Error);
      if (failed instanceof Error) {
        context.stopIfFatal(failed, 'target');
        throw failed;
      }
      wrote = true;
      bytes += payloadBytes(payload);
    }
  } catch (error) {
    await target.exec([cmd('DEL', [temp], temp)]).catch(() => {});
    if (!(error instanceof Error) || error instanceof MigrateError) throw error;
    context.stopIfFatal(error, 'source');
    return writeOutcome(error, policy, 0);
  }
  if (!wrote) return 'gone';
  if (big.expireAt > 0 && big.expireAt <= big.now()) {
    await target.exec([cmd('DEL', [temp], temp)]);
    return 'gone';
  }
  if (big.stamp !== undefined) {
    const args = [big.expireAt, String(big.stamp), stampTtlMs];
    const keys = [temp, big.key, stampKeyFor(big.key)];
    const [reply] = await execScripts(
      target,
      [declaredScriptCommand(renameStampedScript, keys, args)],
      [renameStampedScript],
    );
    if (reply instanceof Error || asText(reply) === 'stale') return writeOutcome(reply, policy, 0);
    return { kind: 'copied', bytes };
  }
  const finish =
    big.expireAt > 0 ? cmd('PEXPIREAT', [temp, big.expireAt], temp) : cmd('PERSIST', [temp], temp);
  const [, renamed] = await target.exec([finish, cmd('RENAME', [temp, big.key], temp)]);
  if (renamed instanceof Error) return writeOutcome(renamed, policy, 0);
  tally?.gaveUpFieldTtls(big.key, droppedTtls);
  return { kind: 'copied', bytes };
}
