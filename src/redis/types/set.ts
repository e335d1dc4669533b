import { asArray, cmd } from '../port.js';
import { elementChunks, scanKey } from './codec.js';
import { piecesDigest } from './fingerprint.js';
import { scanChunkDigestLua } from './lua-switch.js';
import { shown } from './preview.js';
import type { RedisType } from './redis-type.js';

/** Sets: SMEMBERS inline, SSCAN in chunks; written with SADD. Digested order-free. */
export const setType: RedisType<'set'> = {
  server: 'set',
  operator: 'set',
  letter: 'S',
  sizeCommand: 'SCARD',
  sizeIn: 'elements',
  orderFree: true,
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'SSCAN', key, chunkSize)) yield items as Buffer[];
  },
  wholeRead: (key) => [cmd('SMEMBERS', [key], key)],
  chunkReads: elementChunks,
  fingerprint: (items) => piecesDigest((items as Buffer[]).toSorted(Buffer.compare)),
  preview: (value) => `{${(asArray(value) as Buffer[]).toSorted(Buffer.compare).map(shown).join(', ')}}`,
  lua: {
    read: `
size = redis.call('SCARD', k)
if size <= limit then val = redis.call('SMEMBERS', k) end
`,
    write: `each('SADD', k, args, from, to)`,
    fingerprint: `
size = redis.call('SCARD', k)
if size <= rawElements then digest = redis.call('SMEMBERS', k)
elseif size <= limit then
  local acc = {0, 0, 0, 0, 0}
  membersXor(acc, redis.call('SMEMBERS', k))
  digest = accHex(acc)
end
`,
    digestChunk: scanChunkDigestLua('SSCAN'),
    encode: `
local members = sorted(i, ty, 'SCARD', 'SMEMBERS')
if members then put('S', quoted(members)) end
`,
    verifyHelpers: `
local function membersXor(acc, items)
  for i = 1, #items do xorInto(acc, redis.sha1hex(items[i])) end
end
`,
  },
};
