import { cmd } from '../port.js';
import { asArg, read } from './codec.js';
import type { RedisType } from './redis-type.js';

/**
 * RedisJSON / valkey-json documents: JSON.GET of the root, written with JSON.SET key $ … (never chunked: its size is
 * taken as 0). Digested as the SHA1 of the document's text; no type letter, so the other side asks TYPE.
 */
export const jsonType: RedisType<'json'> = {
  server: 'ReJSON-RL',
  operator: 'json',
  sizeIn: 'elements',
  orderFree: false,
  payload: (value) => [asArg(value)],
  async *chunks(source, key) {
    yield [asArg(await read(source, 'JSON.GET', [key], key))];
  },
  wholeRead: (key) => [cmd('JSON.GET', [key], key)],
  chunkReads: () => 1,
  preview: () => '',
  lua: {
    read: `val = redis.call('JSON.GET', k)`,
    write: `redis.call('JSON.SET', k, '$', args[from])`,
    fingerprint: `digest = redis.sha1hex(redis.call('JSON.GET', k))`,
    encode: `put('j', redis.sha1hex(redis.call('JSON.GET', k)))`,
  },
};
