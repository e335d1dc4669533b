import { asNumber, call, cmd, type RedisPort } from './port.js';

/** DBSIZE of each master, by node id (one cheap command per node). */
export async function nodeSizes(port: RedisPort): Promise<Map<string, number>> {
  const nodes = port.nodes();
  const sizes = await Promise.all(nodes.map((node) => call(port, cmd('DBSIZE', []), node)));
  return new Map(nodes.map((node, i) => [node, asNumber(sizes[i])]));
}

/** Keys on all masters together. */
export async function dbsize(port: RedisPort): Promise<number> {
  let total = 0;
  for (const size of (await nodeSizes(port)).values()) total += size;
  return total;
}
