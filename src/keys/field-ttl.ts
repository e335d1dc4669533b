import { type Arg, cmd, type RedisPort } from '../redis/port.js';
import { reservedPrefix } from '../redis/slot.js';

/**
 * Hash-field expiries (HPEXPIRE, Redis >= 7.4, Valkey >= 9) onto a target that cannot hold them: 'keep' refuses
 * the copy before it writes (src/copy/field-ttl-check.ts), 'drop' copies the fields without their expiries,
 * 'skip-fields' leaves out the fields that carry one.
 */
export type FieldTtlPolicy = 'keep' | 'drop' | 'skip-fields';

/** Whether a server knows HPEXPIRETIME: one read of a key in the reserved namespace, which need not exist. */
export async function holdsFieldTtls(port: RedisPort): Promise<boolean> {
  const probe = `${reservedPrefix}probe:field-ttl`;
  const [reply] = await port.exec([cmd('HPEXPIRETIME', [probe, 'FIELDS', 1, 'f'], probe)]);
  return !(reply instanceof Error);
}

/**
 * The same question asked of a source inside one EVAL, whose pcall swallows an unknown command: one billed command
 * that every server logs and answers (a refused unknown command is billed by some and logged by none).
 */
export async function sourceHoldsFieldTtls(source: RedisPort): Promise<boolean> {
  const probe = `local r = redis.pcall('HPEXPIRETIME', '${reservedPrefix}probe:field-ttl', 'FIELDS', 1, 'f')
return (type(r) == 'table' and not r.err) and 1 or 0`;
  const [reply] = await source.exec([cmd('EVAL', [probe, 0])]);
  return reply === 1;
}

/** A 'hash-ttl' write (field, value, expiry per field) fitted to the policy, and how many expiries it gave up. */
export interface FittedWrite {
  type: string;
  payload: Arg[];
  droppedTtls: number;
}

/** Fits a write to the policy: 'keep' leaves it as it is; the others make it a plain 'hash' write. */
export function fitFieldTtls(type: string, payload: Arg[], policy: FieldTtlPolicy): FittedWrite {
  if (type !== 'hash-ttl' || policy === 'keep') return { type, payload, droppedTtls: 0 };
  const pairs: Arg[] = [];
  let droppedTtls = 0;
  for (let i = 0; i + 2 < payload.length; i += 3) {
    const timed = Number(payload[i + 2]) > 0;
    if (timed) droppedTtls++;
    if (!timed || policy === 'drop') pairs.push(payload[i]!, payload[i + 1]!);
  }
  return { type: 'hash', payload: pairs, droppedTtls };
}
