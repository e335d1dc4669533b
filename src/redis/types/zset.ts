import { type Arg, asArray, cmd, type Reply } from '../port.js';
import { elementChunks, scanKey } from './codec.js';
import { pairsDigest } from './fingerprint.js';
import { scanChunkDigestLua } from './lua-switch.js';
import { pairsPreview } from './preview.js';
import type { RedisType } from './redis-type.js';

/** member, score pairs (ZRANGE WITHSCORES / ZSCAN order) to ZADD's score, member order. Scores such as inf stay text. */
function scoreFirst(items: Reply[]): Arg[] {
  const out: Arg[] = new Array(items.length);
  for (let i = 0; i + 1 < items.length; i += 2) {
    out[i] = items[i + 1] as Buffer;
    out[i + 1] = items[i] as Buffer;
  }
  return out;
}

/** A score as one canonical text: Redis prints infinities as inf/-inf, which Number() does not read. */
function normalScore(text: string): string {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return 'Infinity';
  if (lower === '-inf') return '-Infinity';
  return String(Number(text));
}

/**
 * Sorted sets: scores travel as Redis prints them (17 significant digits, "inf"/"-inf"), so they round-trip exactly.
 * Digested order-free, each score printed back (%.17g in Lua, Number in JS) so servers printing doubles differently
 * agree; previewed in ZRANGE order.
 */
export const zsetType: RedisType<'zset'> = {
  server: 'zset',
  operator: 'zset',
  letter: 'z',
  sizeCommand: 'ZCARD',
  sizeIn: 'elements',
  orderFree: true,
  payload: (value) => scoreFirst(asArray(value)),
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'ZSCAN', key, chunkSize)) yield scoreFirst(items);
  },
  wholeRead: (key) => [cmd('ZRANGE', [key, 0, -1, 'WITHSCORES'], key)],
  chunkReads: elementChunks,
  fingerprint: (items) => pairsDigest(items, (score) => normalScore(score.toString())),
  preview: (value) => pairsPreview(asArray(value), false),
  lua: {
    read: `
size = redis.call('ZCARD', k)
if size <= limit then val = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES') end
`,
    write: `each('ZADD', k, args, from, to)`,
    fingerprint: `
digest = redis.call('ZRANGE', k, 0, rawElements, 'WITHSCORES')
size = #digest / 2
if size > rawElements then
  size = redis.call('ZCARD', k)
  digest = false
  if size <= limit then
    local acc = {0, 0, 0, 0, 0}
    pairsXor(acc, redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), 'zset')
    digest = accHex(acc)
  end
end
`,
    digestChunk: scanChunkDigestLua('ZSCAN', 'zset'),
    encode: `
local items = redis.call('ZRANGE', k, '0', limit, 'WITHSCORES')
if #items > 2 * limitCount then return bigKey(i, ty, redis.call('ZCARD', k)) end
-- Engines print equal doubles differently (Redis 7.0 0.33333333333333331, Valkey 8 0.3333333333333333).
for j = 2, #items, 2 do items[j] = score(items[j]) end
put('z', quoted(items))
`,
  },
};
