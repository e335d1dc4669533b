import { Cluster } from 'ioredis';
import { IoredisPort } from '../redis/ioredis-port.js';
import type { RedisPort } from '../redis/port.js';
import { slotOf } from '../redis/slot.js';

/**
 * Groups keys by the master that serves them, so one script call per node can read a whole group (keys travel in
 * ARGV). The port interface routes single commands by key but does not expose the slot map, so a cluster ioredis
 * port is asked directly; every other port is a single node.
 */
export function groupByNode(port: RedisPort, keys: Buffer[]): Map<string, Buffer[]> {
  const groups = new Map<string, Buffer[]>();
  const fallback = port.nodes()[0] ?? 'main';
  const cluster = port instanceof IoredisPort && port.client instanceof Cluster ? port.client : undefined;
  for (const key of keys) {
    const node = cluster ? (cluster.slots[slotOf(key)]?.[0] ?? fallback) : fallback;
    const group = groups.get(node);
    if (group) group.push(key);
    else groups.set(node, [key]);
  }
  return groups;
}
