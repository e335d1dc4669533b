import { asArray, cmd } from '../port.js';
import { elementChunks, read } from './codec.js';
import { piecesDigest } from './fingerprint.js';
import { shown } from './preview.js';
import type { RedisType } from './redis-type.js';

/** Lists: LRANGE inline or by index ranges, in order; written with RPUSH. Digested in order. */
export const listType: RedisType<'list'> = {
  server: 'list',
  operator: 'list',
  letter: 'l',
  sizeCommand: 'LLEN',
  sizeIn: 'elements',
  orderFree: false,
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for (let start = 0; ; start += chunkSize) {
      const items = asArray(await read(source, 'LRANGE', [key, start, start + chunkSize - 1], key));
      if (items.length > 0) yield items as Buffer[];
      if (items.length < chunkSize) return;
    }
  },
  wholeRead: (key) => [cmd('LRANGE', [key, 0, -1], key)],
  chunkReads: elementChunks,
  fingerprint: (items) => piecesDigest(items as Buffer[]),
  preview: (value) => `[${asArray(value).map(shown).join(', ')}]`,
  lua: {
    read: `
size = redis.call('LLEN', k)
if size <= limit then val = redis.call('LRANGE', k, 0, -1) end
`,
    write: `each('RPUSH', k, args, from, to)`,
    fingerprint: `
digest = redis.call('LRANGE', k, 0, rawElements)
size = #digest
if size > rawElements then
  size = redis.call('LLEN', k)
  digest = size <= limit and listDigest(redis.call('LRANGE', k, 0, -1))
end
`,
    digestChunk: `
local start = tonumber(cursor)
local items = redis.call('LRANGE', k, start, start + count - 1)
local next = #items < count and '0' or tostring(start + count)
return {next, listDigest(items), #items}
`,
    encode: `
local items = redis.call('LRANGE', k, '0', limit)
if #items > limitCount then return bigKey(i, ty, redis.call('LLEN', k)) end
put('l', quoted(items))
`,
    verifyHelpers: `
local function listDigest(items)
  local parts = {}
  for i = 1, #items do parts[i] = lp(items[i]) end
  return redis.sha1hex(table.concat(parts))
end
`,
  },
};
