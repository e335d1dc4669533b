import type { Arg } from '../port.js';
import { asArg, read, type TypeCodec } from './codec.js';

/** Strings (HyperLogLogs are strings too): big ones are read with GETRANGE and rebuilt with APPEND. */
export const stringCodec: TypeCodec = {
  payload: (value) => [asArg(value)],
  async *chunks(source, key, chunkSize) {
    const step = Math.max(64 * 1024, chunkSize * 1024);
    for (let start = 0; ; start += step) {
      const piece = await read(source, 'GETRANGE', [key, start, start + step - 1], key);
      if (!Buffer.isBuffer(piece) || piece.length === 0) return;
      yield [piece] as Arg[];
      if (piece.length < step) return;
    }
  },
};
