import type { RedisPort } from '../redis/port.js';
import { groupByNode } from '../redis/routing.js';
import type { BatchContext } from './batch-context.js';
import { defaultCopyOptions } from './options.js';
import { fatalReplyError } from './outcome.js';
import { Tally } from './report.js';
import { copyStructBatch } from './struct-batch.js';

/** A batch context for copying named keys: replace what the target holds, stop on a fatal reply. */
export function listedCopyContext(source: RedisPort, target: RedisPort, chunkSize = 1000): BatchContext {
  return {
    source,
    target,
    options: { ...defaultCopyOptions, onConflict: 'replace', chunkSize: Math.min(chunkSize, 1000) },
    typeFilter: '',
    stopIfFatal(error, role) {
      const fatal = fatalReplyError(error, role);
      if (fatal) throw fatal;
    },
  };
}

/**
 * Makes the target's copy of each named key equal to the source's as it is now (deleted where the source no longer
 * holds it): batches per source node, one after another. For short lists (repairs, keys held by a fence), not scans.
 */
export async function copyListedKeys(
  source: RedisPort,
  target: RedisPort,
  keys: readonly Buffer[],
  batch = 500,
): Promise<Tally> {
  const context = listedCopyContext(source, target);
  const tally = new Tally();
  for (const [node, group] of groupByNode(source, keys)) {
    for (let i = 0; i < group.length; i += batch)
      await copyStructBatch(context, node, group.slice(i, i + batch), tally);
  }
  return tally;
}
