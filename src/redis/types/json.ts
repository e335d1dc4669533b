import { asArg, read, type TypeCodec } from './codec.js';

/** RedisJSON / valkey-json documents: JSON.GET of the root, written with JSON.SET key $ … (never chunked). */
export const jsonCodec: TypeCodec = {
  payload: (value) => [asArg(value)],
  async *chunks(source, key) {
    yield [asArg(await read(source, 'JSON.GET', [key], key))];
  },
};
