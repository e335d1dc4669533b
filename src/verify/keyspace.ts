import { nodeSizes } from '../redis/keyspace.js';
import { asArray, asText, call, cmd, type RedisPort } from '../redis/port.js';
import { reservedPrefix } from '../redis/slot.js';
import type { SideCounts } from './report.js';

/**
 * Key counts of one side: DBSIZE and INFO keyspace `expires` per master (cheap, one command each), and the
 * reserved keys, counted with SCAN MATCH (a handful of keys; SCAN is what a MATCH costs, so only when asked).
 */
export async function sideCounts(
  port: RedisPort,
  countReserved: boolean,
): Promise<{ counts: SideCounts; sizes: Map<string, number> }> {
  let dbsize = 0;
  let keysWithTtl = 0;
  let reserved = 0;
  const sizes = await nodeSizes(port);
  for (const [node, size] of sizes) {
    dbsize += size;
    const info = asText(await call(port, cmd('INFO', ['keyspace']), node).catch(() => null));
    keysWithTtl += expiresIn(info, size);
    if (countReserved && size > 0) reserved += await countMatching(port, node, `${reservedPrefix}*`);
  }
  return { counts: { dbsize: dbsize - reserved, keysWithTtl, reserved }, sizes };
}

/** `expires` of the database whose key count is `size` (the URL picks the database; the port does not say). */
function expiresIn(info: string, size: number): number {
  const lines = [...info.matchAll(/^db\d+:keys=(\d+),expires=(\d+)/gm)];
  const line = lines.length === 1 ? lines[0] : lines.find((m) => Number(m[1]) === size);
  return line ? Number(line[2]) : 0;
}

async function countMatching(port: RedisPort, node: string, pattern: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = asArray(
      await call(port, cmd('SCAN', [cursor, 'MATCH', pattern, 'COUNT', 10_000]), node),
    );
    cursor = asText(next);
    count += asArray(keys).length;
  } while (cursor !== '0');
  return count;
}
