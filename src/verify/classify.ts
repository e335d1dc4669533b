import type { KeyState } from './key-state.js';
import type { Problem } from './report.js';

/**
 * The one problem a source key has on the target, or undefined when they are equal (value, type and absolute
 * expiry within the tolerance). One problem per key, the most basic first: missing, type, value, then TTL.
 * A key absent from the source is never a problem here (it expired or was deleted meanwhile).
 */
export function classify(source: KeyState, target: KeyState, ttlToleranceMs: number): Problem | undefined {
  if (source.type === 'none') return undefined;
  if (target.type === 'none') return 'missing';
  if (source.type !== target.type) return 'type';
  if (source.size !== target.size || source.digest !== target.digest) return 'value';
  return expiryProblem(source.expireAt, target.expireAt, ttlToleranceMs);
}

/** The TTL problem of two absolute expiries (0 = none) of keys otherwise equal. */
export function expiryProblem(source: number, target: number, ttlToleranceMs: number): Problem | undefined {
  if (source > 0 && target === 0) return 'ttl-lost';
  if (source === 0 && target > 0) return 'ttl-added';
  if (Math.abs(source - target) > ttlToleranceMs) return 'ttl-drift';
  return undefined;
}

/** Field expiries of one hash (field bytes as latin1 → absolute ms), as the batch digest reads them. */
export type FieldExpiries = ReadonlyMap<string, number>;

/**
 * The field-expiry problem of a hash otherwise equal: the first field whose expiry was lost, added, or drifted past
 * the tolerance (the same as for key expiries). An absent map means no field carries one.
 */
export function fieldTtlProblem(
  source: FieldExpiries | undefined,
  target: FieldExpiries | undefined,
  ttlToleranceMs: number,
): Problem | undefined {
  const fields = new Set([...(source?.keys() ?? []), ...(target?.keys() ?? [])]);
  for (const field of fields) {
    const problem = expiryProblem(source?.get(field) ?? 0, target?.get(field) ?? 0, ttlToleranceMs);
    if (problem) return `field-${problem}` as Problem;
  }
  return undefined;
}
