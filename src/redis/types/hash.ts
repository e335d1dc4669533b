import { type Arg, asArray, asNumber, type Reply } from '../port.js';
import { maxRequestArgs, read, scanKey, type TypeCodec, writeScriptOverhead } from './codec.js';

/** Hashes: HGETALL inline, HSCAN in chunks; written with HSET field value … . */
export const hashCodec: TypeCodec = {
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'HSCAN', key, chunkSize)) yield items as Buffer[];
  },
};

/** Fields one 'hash-ttl' write may carry: three arguments each (field, value, expiry). */
const fieldsPerTtlWrite = Math.floor((maxRequestArgs - writeScriptOverhead) / 3);

/** The write script's 'hash-ttl' payload: field, value, absolute expiry in ms (0 = none) per field still there. */
export function fieldTtlPayload(pairs: Reply[], expiries: Reply[]): Arg[] {
  const payload: Arg[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const at = asNumber(expiries[i / 2]);
    // -2: the field expired between HSCAN and HPEXPIRETIME; it is gone on the source too.
    if (at !== -2) payload.push(pairs[i] as Buffer, pairs[i + 1] as Buffer, at > 0 ? at : 0);
  }
  return payload;
}

/**
 * Hashes whose fields carry expiries (Redis >= 7.4, Valkey >= 9): the read script's {pairs, expiries} inline, and
 * in chunks each HSCAN page with its fields' HPEXPIRETIME (one more source command per chunk, big hashes only).
 */
export const hashTtlCodec: TypeCodec = {
  payload: (value) => {
    const [pairs, expiries] = asArray(value);
    return fieldTtlPayload(asArray(pairs), asArray(expiries));
  },
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'HSCAN', key, chunkSize)) {
      for (let from = 0; from < items.length; from += fieldsPerTtlWrite * 2) {
        const pairs = items.slice(from, from + fieldsPerTtlWrite * 2);
        const fields = pairs.filter((_, i) => i % 2 === 0) as Buffer[];
        const expiries = await read(source, 'HPEXPIRETIME', [key, 'FIELDS', fields.length, ...fields], key);
        yield fieldTtlPayload(pairs, asArray(expiries));
      }
    }
  },
};
