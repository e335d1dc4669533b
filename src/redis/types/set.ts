import { asArray, scanKey, type TypeCodec } from './codec.js';

/** Sets: SMEMBERS inline, SSCAN in chunks; written with SADD. */
export const setCodec: TypeCodec = {
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'SSCAN', key, chunkSize)) yield items as Buffer[];
  },
};
