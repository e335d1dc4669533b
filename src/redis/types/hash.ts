import { asArray, scanKey, type TypeCodec } from './codec.js';

/** Hashes: HGETALL inline, HSCAN in chunks; written with HSET field value … . */
export const hashCodec: TypeCodec = {
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'HSCAN', key, chunkSize)) yield items as Buffer[];
  },
};
