import { keyRulesOf } from './key-rules.js';
import type { RedisPort } from './port.js';
import { slotOf } from './slot.js';

/**
 * Keys one script call carries at most: with the few fixed arguments each script takes, under the 3,999 arguments
 * ElastiCache Serverless accepts in one request.
 */
export const maxKeysPerCall = 3900;

/** The keys of one script call (by index in the list grouped) and the node that runs it. */
export interface CallGroup {
  node: string;
  indexes: number[];
}

/**
 * Keys grouped for script calls as the port's server takes them (src/redis/key-rules.ts): by node, or by hash slot
 * where each call must declare keys of one slot; at most `max` keys per call either way.
 */
export function callGroups(port: RedisPort, keys: readonly Buffer[], max = maxKeysPerCall): CallGroup[] {
  const bySlot = keyRulesOf(port) === 'by-slot';
  const groups = new Map<string | number, number[]>();
  keys.forEach((key, i) => {
    const id = bySlot ? slotOf(key) : port.nodeOf(key);
    const group = groups.get(id);
    if (group) group.push(i);
    else groups.set(id, [i]);
  });
  const calls: CallGroup[] = [];
  for (const indexes of groups.values()) {
    const node = port.nodeOf(keys[indexes[0]!]!);
    for (let from = 0; from < indexes.length; from += max)
      calls.push({ node, indexes: indexes.slice(from, from + max) });
  }
  return calls;
}
