import { displayKey } from '../display.js';
import { type Arg, cmd } from '../port.js';
import { asArg, read } from './codec.js';
import type { RedisType } from './redis-type.js';

/** Bytes per GETRANGE of a big string: at least 64 KiB, else chunkSize KiB. */
const stepOf = (chunkSize: number): number => Math.max(64 * 1024, chunkSize * 1024);

/**
 * Strings (HyperLogLogs are strings too): GET inline, GETRANGE in chunks rebuilt with APPEND; written whole with one
 * SET … PXAT. Digested in byte ranges, in order.
 */
export const stringType: RedisType<'string'> = {
  server: 'string',
  operator: 'string',
  letter: 's',
  sizeCommand: 'STRLEN',
  sizeIn: 'bytes',
  orderFree: false,
  payload: (value) => [asArg(value)],
  async *chunks(source, key, chunkSize) {
    const step = stepOf(chunkSize);
    for (let start = 0; ; start += step) {
      const piece = await read(source, 'GETRANGE', [key, start, start + step - 1], key);
      if (!Buffer.isBuffer(piece) || piece.length === 0) return;
      yield [piece] as Arg[];
      if (piece.length < step) return;
    }
  },
  wholeRead: (key) => [cmd('GET', [key], key)],
  chunkReads: (size, chunkSize) => Math.ceil(size / stepOf(chunkSize)),
  replaceCommand: (key, value, expireAt) =>
    cmd('SET', expireAt > 0 ? [key, value, 'PXAT', expireAt] : [key, value], key),
  preview: (value) => (Buffer.isBuffer(value) ? `"${displayKey(value, 60)}"` : ''),
  lua: {
    read: `
size = redis.call('STRLEN', k)
if size <= maxBytes then val = redis.call('GET', k) end
`,
    replace: `
if exp > 0 then redis.call('SET', k, args[from], 'PXAT', exp) else redis.call('SET', k, args[from]) end
return 'ok'
`,
    write: `
-- a chunk of a big string
if to >= from then redis.call('APPEND', k, args[from]) end
`,
    fingerprint: `
size = redis.call('STRLEN', k)
if size <= rawBytes then digest = redis.call('GET', k)
elseif size <= maxBytes then digest = redis.sha1hex(redis.call('GET', k)) end
`,
    digestChunk: `
local start = tonumber(cursor)
local piece = redis.call('GETRANGE', k, start, start + count - 1)
local next = #piece < count and '0' or tostring(start + count)
return {next, redis.sha1hex(piece), #piece}
`,
    encode: `
local value = redis.call('GETRANGE', k, '0', maxBytes)
if #value > maxCount then return bigKey(i, ty, redis.call('STRLEN', k)) end
put('s', value)
`,
  },
};
