import { asArray, type Reply } from '../redis/port.js';
import { typeForm } from '../redis/types/index.js';

/** Small values cross the network as they are and are fingerprinted here (server CPU is the scarcer resource). */
export const rawElements = 64;
export const rawBytes = 256;

/**
 * The fingerprint of a small value the batch script returned raw: the bytes themselves for a value read as one
 * string, else its type's fingerprint of the elements (src/redis/types/: a SHA1 over length-prefixed elements,
 * sorted by bytes where the type is order-free, so it is locale-free).
 */
export function rawFingerprint(type: string, value: Reply): string {
  if (Buffer.isBuffer(value)) return `=${value.toString('latin1')}`;
  const form = typeForm(type);
  return form?.type.fingerprint?.(asArray(form.plain(value))) ?? `unsupported:${type}`;
}
