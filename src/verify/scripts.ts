import { expireAtLua } from '../redis/expiry.js';

/**
 * Lua for verify. The same scripts run on both sides, so a key's fingerprint is computed identically on the
 * source and the target, server-side: only 40-hex digests cross the network, never the values.
 *
 * Fingerprints are order-independent for hashes, sets and zsets (XOR of one SHA1 per element: no sorting in
 * Lua, whose string order follows the server's locale and could differ between source and target) and ordered
 * for lists and streams (SHA1 over length-prefixed elements). Zset scores are re-printed with %.17g so that
 * servers that print doubles differently (Redis < 7.2 vs ≥ 7.2, Valkey) agree on equal scores.
 */
import { readOnlyScript } from '../redis/script-runner.js';

import { keyListLua } from '../redis/scripts.js';
import { fieldTtlListLua } from '../redis/types/hash.js';
import { redisTypes } from '../redis/types/index.js';
import { luaIf, luaTable, typeBranches } from '../redis/types/lua-switch.js';

/** Lua helpers shared by the types' digests (XOR accumulation, score normalisation), then each type's own. */
const helpers = `
local function lp(s) return #s .. ':' .. s end
local function xorInto(acc, hex)
  for j = 0, 4 do
    acc[j + 1] = bit.bxor(acc[j + 1], tonumber(string.sub(hex, j * 8 + 1, j * 8 + 8), 16))
  end
end
local function accHex(acc)
  local out = {}
  for j = 1, 5 do out[j] = bit.tohex(acc[j], 8) end
  return table.concat(out)
end
local function score(s) return string.format('%.17g', tonumber(s)) end
-- Digest of a flat reply of pairs: kind 'hash' (field, value) or 'zset' (member, score); XOR, order-free.
local function pairsXor(acc, items, kind)
  for i = 1, #items, 2 do
    local second = kind == 'zset' and score(items[i + 1]) or items[i + 1]
    xorInto(acc, redis.sha1hex(lp(items[i]) .. second))
  end
end
${redisTypes.map((t) => t.lua.verifyHelpers ?? '').join('')}`;

/** fingerprintBatchScript's per-type Lua: sets `size` and `digest` of key `k`. */
const fingerprintChain = luaIf(
  [
    ...typeBranches(redisTypes.map((t) => [t.server, t.lua.fingerprint])),
    { when: "ty ~= 'none'", body: "digest = 'unsupported'" },
  ],
  '  ',
);

/**
 * Fingerprints a batch key by key (the compare of keys whose batch digests differed, and every re-check). ARGV:
 * limit (elements digested inline), maxInlineBytes (string bytes), rawElements, rawBytes, then the keys (keyList).
 * Returns nowMs, then per key: type, expireAt (absolute ms, -1 none, -2 gone: src/redis/expiry.ts), size,
 * fingerprint. The fingerprint is the value itself for small keys (strings up to
 * rawBytes; hashes, sets, zsets, lists and streams up to rawElements, a stream as {entries, last ID and groups}),
 * a SHA1 digest computed here up to `limit` elements, and false for bigger keys, which are digested in chunks. Both
 * sides pick by size, so equal keys get the same kind.
 */
export const fingerprintBatchScript = readOnlyScript(`${helpers}${keyListLua}${expireAtLua}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local rawElements = tonumber(ARGV[3])
local rawBytes = tonumber(ARGV[4])
local keys = keyList(4)
local types, expiries = {}, {}
-- Every expiry first: where PTTL is the fallback it follows the clock, and digests take time.
for i = 1, #keys do
  local at = expireAt(keys[i], now)
  expiries[i] = at
  types[i] = at == -2 and 'none' or redis.call('TYPE', keys[i]).ok
end
-- Every redis.call costs the server about as much as a small value's bytes: lists, zsets and streams are read with
-- a bounded range first, and their size is only asked for when that range is full.
local out = {now}
for i = 1, #keys do
  local k = keys[i]
  local ty = types[i]
  local size, digest = 0, false
${fingerprintChain}
  out[#out + 1] = ty
  out[#out + 1] = expiries[i]
  out[#out + 1] = size
  out[#out + 1] = digest
end
return out
`);

/** digestChunkScript's per-type Lua: returns one chunk's digest of `k` from `cursor`. */
const digestChunkChain = luaIf(typeBranches(redisTypes.map((t) => [t.server, t.lua.digestChunk])));

/**
 * One chunk of a big key's digest. KEYS[1] = key; ARGV: type, cursor, count.
 * Returns {nextCursor ('0' when done), chunkDigest, elementsSeen}. The caller combines chunk digests: XOR for
 * hashes, sets and zsets (order-free), a running SHA1 for strings, lists and streams (ordered; both sides
 * chunk at the same offsets). Cursors: SCAN cursor (hash/set/zset), byte or index offset (string/list),
 * exclusive last ID (stream; the final call adds the stream's metadata).
 */
export const digestChunkScript = readOnlyScript(`${helpers}
local k, ty, cursor, count = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
${digestChunkChain}
return redis.error_reply('ERR cannot digest type ' .. ty)
`);

/** batchDigestScript's per-type Lua (encode(i)): put()s the value of `k`, or enters it as a big key. */
const encodeChain = luaIf(
  [
    ...typeBranches(redisTypes.map((t) => [t.server, t.lua.encode])),
    { when: "ty == 'none'", body: "put('n', '')" },
    { body: "put('u', ty)\nunsupported = unsupported + 1" },
  ],
  '  ',
);

/** Each type's one-letter code in the type hints ('n': none). */
const typeLetters = luaTable([
  ...redisTypes.flatMap((t) => (t.letter ? [[t.server, t.letter] as const] : [])),
  ['none', 'n'],
]);

/** Each type by its letter's byte (what string.byte gives), built here rather than on every call. */
const typeOfLetter = `{${redisTypes
  .flatMap((t) => (t.letter ? [`[${t.letter.charCodeAt(0)}] = '${t.server}'`] : []))
  .join(', ')}}`;

/**
 * One digest per batch instead of one fingerprint per key: the fast path of a compare. ARGV: limit, maxBytes,
 * hints, the size of each group ('1000,1,3'; '' for a single group), then the keys in group order (keyList). Returns {nowMs, {expireAt…},
 * {digest per group…},
 * {index, type, size per big key…}, unsupported, type letters, {index, {field, expireAt…} per hash whose fields carry
 * expiries…}}. Both sides run it on the same keys in the same order (per target
 * node for a cluster), so equal digests mean equal keys and only each key's expiry is left to compare; a group whose
 * digests differ is compared key by key (fingerprintBatchScript).
 *
 * The digest covers each key's type and value, not its name (both sides digest the same list), in an unambiguous
 * encoding: a one-letter tag and a length prefix per piece, and each collection as one string.format of its
 * elements with %q (quoted, so element boundaries stay apart). Hash fields and set members are sorted, zsets kept in
 * ZRANGE order (score, then member bytes) with scores printed with %.17g, lists and stream entries in order. A sort
 * that disagrees between two servers (Lua compares with the locale's strcoll) can only make equal batches look
 * different, which the key-by-key compare then clears. Keys past `limit` elements or `maxBytes` bytes enter as type
 * and size only, and are listed for a digest in chunks. Pieces are folded into a running SHA1 past maxBytes, so
 * memory stays bounded. Hashing here costs the server less than sending the values costs the client.
 */
export const batchDigestScript = readOnlyScript(`${helpers}${keyListLua}${expireAtLua}${fieldTtlListLua}
-- Numbers passed to redis.call are printed to strings on every call: range bounds stay strings.
-- Past 3000 elements a key is digested in chunks: HMGET takes its fields through unpack, limited to 8000 values.
local limitCount, maxCount = math.min(tonumber(ARGV[1]), 3000), tonumber(ARGV[2])
local limit, maxBytes, hints = tostring(limitCount), ARGV[2], ARGV[3]
local countPlusOne = tostring(limitCount + 1)
local keys = keyList(4)
-- Group sizes in one argument, '' for one group of every key (a call per slot or per node): a call per key sends
-- no more than it must, and a call over many groups stays far below the 3,999 arguments of a request.
local sizes = {}
if ARGV[4] == '' then
  sizes[1] = #keys
else
  for size in string.gmatch(ARGV[4], '%d+') do sizes[#sizes + 1] = tonumber(size) end
end
-- The source answers each key's type as one letter; the target takes them as hints and skips TYPE.
local codes = ${typeLetters}
local typeOf = ${typeOfLetter}
local wantTypes = hints == ''
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiries, types, hinted, found = {}, {}, {}, {}
-- Every expiry first: where PTTL is the fallback it follows the clock.
for i = 1, #keys do
  local at = expireAt(keys[i], now)
  expiries[i] = at
  if at == -2 then
    types[i] = 'none'
  else
    local hint = not wantTypes and typeOf[string.byte(hints, i)]
    if hint then
      types[i], hinted[i] = hint, true
    else
      types[i] = redis.call('TYPE', keys[i]).ok
    end
  end
  if wantTypes then found[i] = codes[types[i]] or '?' end
end
-- Each element %q-quoted, in one string.format per 4000 elements (unpack's limit is 8000 values).
local formats = {}
local function quoted(items)
  local n = #items
  if n > 4000 then
    local pieces = {}
    for from = 1, n, 4000 do pieces[#pieces + 1] = quoted({unpack(items, from, math.min(n, from + 3999))}) end
    return table.concat(pieces)
  end
  local format = formats[n]
  if not format then
    format = string.rep('%q', n)
    formats[n] = format
  end
  return string.format(format, unpack(items))
end
-- Each piece is a tag letter and its length ('s12:'), then the bytes; the prefixes are cached per tag (plain tables:
-- a call per key, as on a Serverless target, would pay for metatables and closures it hardly uses).
local prefixes = {}
local parts, count, bytes, acc = {}, 0, 0, ''
local function put(tag, value)
  local len = #value
  local byLength = prefixes[tag]
  if not byLength then
    byLength = {}
    prefixes[tag] = byLength
  end
  local prefix = byLength[len]
  if not prefix then
    prefix = tag .. len .. ':'
    byLength[len] = prefix
  end
  parts[count + 1] = prefix
  parts[count + 2] = value
  count = count + 2
  bytes = bytes + len
  if bytes > maxCount then
    acc = redis.sha1hex(acc .. table.concat(parts, '', 1, count))
    parts, count, bytes = {}, 0, 0
  end
end
local big, unsupported = {}, 0
local function bigKey(i, ty, size)
  put('b', ty .. ':' .. size)
  big[#big + 1] = i
  big[#big + 1] = ty
  big[#big + 1] = size
end
-- Hash fields or set members, sorted; nil for a key past the limit (then entered as big). These types have no
-- bounded read, so their size is asked first.
local function sorted(i, ty, sizeCommand, readCommand)
  local size = redis.call(sizeCommand, keys[i])
  if size > limitCount then
    bigKey(i, ty, size)
    return nil
  end
  local items = redis.call(readCommand, keys[i])
  table.sort(items)
  return items
end
local function encode(i)
  local k, ty = keys[i], types[i]
${encodeChain}
end
local digests, fieldTtls = {}, {}
local i = 1
for g = 1, #sizes do
  for _ = 1, sizes[g] do
    -- A hinted type is proven by its read command (each works on one type only); WRONGTYPE means the hint was
    -- wrong, and TYPE says what the key is. The failed read happens before anything is added to the digest.
    if not hinted[i] or pcall(encode, i) == false then
      if hinted[i] then types[i] = redis.call('TYPE', keys[i]).ok end
      encode(i)
    end
    if types[i] == 'hash' then
      local list = fieldTtlList(keys[i])
      if #list > 0 then
        fieldTtls[#fieldTtls + 1] = i
        fieldTtls[#fieldTtls + 1] = list
      end
    end
    i = i + 1
  end
  digests[g] = redis.sha1hex(acc .. table.concat(parts, '', 1, count))
  parts, count, bytes, acc = {}, 0, 0, ''
end
return {now, expiries, digests, big, unsupported, table.concat(found), fieldTtls}
`);

/** Which keys exist. The keys (keyList), nothing else. Returns a string of '1'/'0', one per key (one billed command). */
export const existsBatchScript = readOnlyScript(`${keyListLua}
local keys = keyList(0)
local out = {}
for i = 1, #keys do out[i] = redis.call('EXISTS', keys[i]) == 1 and '1' or '0' end
return table.concat(out)
`);

/** Draws keys with RANDOMKEY. ARGV: draws. Returns the keys drawn (an empty database returns none). */
export const randomKeysScript = readOnlyScript(`
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local k = redis.call('RANDOMKEY')
  if not k then break end
  out[#out + 1] = k
end
return out
`);
