import type { RedisPort, Reply } from '../redis/port.js';
import { execScripts, scriptCommandKeys } from '../redis/script-runner.js';
import { writeStampedScript } from '../redis/scripts.js';
import { stampKeyFor } from '../redis/slot.js';
import type { ConflictPolicy } from './options.js';
import type { KeyWrite } from './write-batch.js';

/**
 * Stamped writes. Two copiers of one key can interleave (two app instances mirroring one counter, a mirror and a
 * sync re-copy): X reads v1, Y reads v2 and writes v2, X writes v1, and the secondary stays stale with nothing left
 * to fix it. So a copy that may run beside another copier carries a stamp, the primary's clock at its read (TIME in
 * the read script, microseconds), and the write refuses to replace a key whose recorded stamp is newer. Stamps are
 * kept per slot in `__migrate:stamp:{tag}` (two declared keys of one slot: ElastiCache Serverless's rules), and
 * only need to outlive a race, so the hash expires a few minutes after its slot's last stamped write.
 */
export const stampTtlMs = 5 * 60_000;

/** A read's stamp in a batch reply, or undefined when the reply carries none. */
export function stampAt(flat: readonly Reply[], index: number): number | undefined {
  const value = flat[index];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * Writes each key with one script call (a pipeline per node), refusing copies older than the one held. A write of
 * type 'none' deletes the key. Replies: 'stale' (refused), 'deleted', or what the unstamped write answers.
 */
export function writeStamped(
  target: RedisPort,
  writes: readonly KeyWrite[],
  policy: ConflictPolicy,
  stamp: number,
): Promise<Reply[]> {
  return execScripts(
    target,
    writes.map(({ key, type, expireAt, payload }) =>
      scriptCommandKeys(
        writeStampedScript,
        [key, stampKeyFor(key)],
        [type, expireAt, policy, String(stamp), stampTtlMs, ...payload],
      ),
    ),
    [writeStampedScript],
  );
}
