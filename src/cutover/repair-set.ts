/** The keys clients could not mirror (`__migrate:repair` on the target): copied again from their primary. */
import { repairSetKey } from '../control/names.js';
import { copyListedKeys } from '../keys/copy-listed.js';
import { displayKey } from '../redis/display.js';
import { asArray, call, cmd, type RedisPort } from '../redis/port.js';
import { slotOf } from '../redis/slot.js';

/**
 * Copies the repair set's keys that `wanted` accepts (by slot) from `from` to `to` and removes those copied. Returns
 * how many were copied and how many failed (a failed key stays in the set).
 */
export async function drainRepairSet(
  from: RedisPort,
  to: RedisPort,
  target: RedisPort,
  wanted: (slot: number) => boolean,
): Promise<{ copied: number; failed: number }> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const reply = asArray(
      await call(target, cmd('SSCAN', [repairSetKey, cursor, 'COUNT', 1000], repairSetKey)),
    );
    cursor = String(reply[0] ?? '0');
    for (const key of asArray(reply[1])) if (Buffer.isBuffer(key) && wanted(slotOf(key))) keys.push(key);
  } while (cursor !== '0');
  if (keys.length === 0) return { copied: 0, failed: 0 };
  const tally = await copyListedKeys(from, to, keys);
  const failed = new Set(tally.failures.map((f) => f.key));
  const done = keys.filter((key) => !failed.has(displayKey(key)));
  for (let i = 0; i < done.length; i += 1000)
    await call(target, cmd('SREM', [repairSetKey, ...done.slice(i, i + 1000)], repairSetKey));
  return { copied: done.length, failed: keys.length - done.length };
}
