import { Cluster } from 'ioredis';
import { IoredisPort } from '../redis/ioredis-port.js';
import type { RedisPort } from '../redis/port.js';
import { slotOf } from '../redis/slot.js';

/**
 * The source node that holds a key: copyStructBatch reads a batch with one script on one node, so a cluster
 * source's dirty keys are grouped by owner.
 */
export function nodeRouter(port: RedisPort): (key: Buffer) => string {
  const first = port.nodes()[0]!;
  if (port.topology !== 'cluster' || !(port instanceof IoredisPort) || !(port.client instanceof Cluster))
    return () => first;
  const cluster = port.client;
  return (key) => cluster.slots[slotOf(key)]?.[0] ?? first;
}
