import { absent, type KeyState } from '../keys/compare.js';
import { rawBytes, rawElements, rawFingerprint } from '../keys/raw-fingerprint.js';
import { expireAtOf } from '../redis/expiry.js';
import { asNumber, asText, type RedisPort, type Reply } from '../redis/port.js';
import { scriptPerGroup } from '../redis/script-runner.js';
import type { VerifyOptions } from './options.js';
import { fingerprintBatchScript } from './scripts.js';

/**
 * Fingerprints keys with one script call per group of `callGroups` (one node, or one slot where keys must be
 * declared), all sent in one round trip: one billed command per node for a source. Returns each key's state, in the
 * order of `keys`. Throws a reply error: the caller retries or fails the batch.
 */
export async function fingerprint(
  port: RedisPort,
  keys: Buffer[],
  options: VerifyOptions,
): Promise<KeyState[]> {
  if (keys.length === 0) return [];
  const args = [options.chunkSize, options.maxInlineBytes, rawElements, rawBytes];
  const states: KeyState[] = new Array(keys.length);
  for (const { indexes, reply } of await scriptPerGroup(port, fingerprintBatchScript, keys, args)) {
    if (reply instanceof Error) throw reply;
    const parsed = parseFingerprints(Array.isArray(reply) ? reply : [], indexes.length);
    indexes.forEach((index, i) => {
      states[index] = parsed[i]!;
    });
  }
  return states;
}

function parseFingerprints(flat: Reply[], count: number): KeyState[] {
  const states: KeyState[] = [];
  for (let i = 0; i < count; i++) {
    const type = asText(flat[1 + i * 4]);
    const expiry = asNumber(flat[2 + i * 4]);
    const digest = flat[4 + i * 4];
    if (type === 'none' || type === '' || expiry === -2) {
      states.push(absent);
      continue;
    }
    const size = asNumber(flat[3 + i * 4]);
    states.push({
      type,
      expireAt: expireAtOf(expiry),
      size,
      digest: fingerprintOf(type, size, digest),
    });
  }
  return states;
}

/** What the script's fingerprint field means, by the same size rules the script applied. */
function fingerprintOf(type: string, size: number, reply: Reply | undefined): string | undefined {
  if (reply === null || reply === undefined || reply instanceof Error) return undefined;
  const raw = type === 'string' ? size <= rawBytes : Array.isArray(reply);
  if (raw) return rawFingerprint(type, reply);
  return Buffer.isBuffer(reply) ? reply.toString('latin1') : undefined;
}
