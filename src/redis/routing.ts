import type { RedisPort } from './port.js';

/**
 * Keys grouped by the master that owns them (by index in `keys`), so one script call per node can carry a whole
 * group: scripts take keys in ARGV. A standalone server is one group.
 */
export function indexesByNode(port: RedisPort, keys: readonly Buffer[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const node = port.nodeOf(key);
    const group = groups.get(node);
    if (group) group.push(i);
    else groups.set(node, [i]);
  });
  return groups;
}

/** Like indexesByNode, with the keys themselves. */
export function groupByNode(port: RedisPort, keys: readonly Buffer[]): Map<string, Buffer[]> {
  const groups = new Map<string, Buffer[]>();
  for (const [node, indexes] of indexesByNode(port, keys))
    groups.set(
      node,
      indexes.map((i) => keys[i]!),
    );
  return groups;
}
