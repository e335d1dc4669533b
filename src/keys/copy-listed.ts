import type { RedisPort } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import type { BatchContext } from './batch-context.js';
import { defaultKeyCopyOptions } from './options.js';
import { throwIfFatal } from './outcome.js';
import { copyStructBatch } from './struct-batch.js';
import { Tally } from './tally.js';

/**
 * A batch context for copying named keys: replace what the target holds, stop on a fatal reply. `stamped` where
 * other copiers of the same keys may run meanwhile (client mirrors, sync): a newer copy is never replaced.
 */
export function listedCopyContext(
  source: RedisPort,
  target: RedisPort,
  chunkSize = 1000,
  stamped = false,
): BatchContext {
  return {
    source,
    target,
    options: { ...defaultKeyCopyOptions, onConflict: 'replace', chunkSize: Math.min(chunkSize, 1000) },
    typeFilter: '',
    stamped,
    stopIfFatal: throwIfFatal,
  };
}

/**
 * Makes the target's copy of each named key equal to the source's as it is now (deleted where the source no longer
 * holds it): batches per source node (or slot), one after another. For short lists (repairs, keys held by a fence), not scans.
 */
export async function copyListedKeys(
  source: RedisPort,
  target: RedisPort,
  keys: readonly Buffer[],
  batch = 500,
): Promise<Tally> {
  // Drains and catch-ups of a switch run beside client mirrors and sync.
  const context = listedCopyContext(source, target, 1000, true);
  const tally = new Tally();
  // Per node, or per slot where the source wants each call's keys declared (a Serverless target, once primary).
  for (const { node, indexes } of callGroups(source, keys, batch)) {
    await copyStructBatch(
      context,
      node,
      indexes.map((i) => keys[i]!),
      tally,
    );
  }
  return tally;
}
