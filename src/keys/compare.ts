/**
 * Comparing one key as two servers hold it: verify's key-by-key compare and the client's shadow reads both decide
 * here what a difference is.
 */

/** One key as one side holds it, reduced to what verify compares. */
export interface KeyState {
  /** TYPE's answer; 'none' when the key does not exist. */
  type: string;
  /** Absolute expiry on that server's clock, ms; 0 = no TTL. */
  expireAt: number;
  /** Elements (or bytes for a string). */
  size: number;
  /** Value fingerprint; undefined until a big key has been digested in chunks. */
  digest: string | undefined;
}

export const absent: KeyState = { type: 'none', expireAt: 0, size: 0, digest: '' };

/** Problem names as they appear in examples; each belongs to one counter of the report. */
export type Problem =
  | 'missing'
  | 'extra'
  | 'type'
  | 'value'
  | 'ttl-lost'
  | 'ttl-added'
  | 'ttl-drift'
  | 'field-ttl-lost'
  | 'field-ttl-added'
  | 'field-ttl-drift';

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
