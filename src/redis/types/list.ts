import { asArray, read, type TypeCodec } from './codec.js';

/** Lists: LRANGE inline or by index ranges, in order; written with RPUSH. */
export const listCodec: TypeCodec = {
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for (let start = 0; ; start += chunkSize) {
      const items = asArray(await read(source, 'LRANGE', [key, start, start + chunkSize - 1], key));
      if (items.length > 0) yield items as Buffer[];
      if (items.length < chunkSize) return;
    }
  },
};
