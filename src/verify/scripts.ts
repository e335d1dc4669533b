/**
 * Lua for verify. The same scripts run on both sides, so a key's fingerprint is computed identically on the
 * source and the target, server-side: only 40-hex digests cross the network, never the values.
 *
 * Fingerprints are order-independent for hashes, sets and zsets (XOR of one SHA1 per element: no sorting in
 * Lua, whose string order follows the server's locale and could differ between source and target) and ordered
 * for lists and streams (SHA1 over length-prefixed elements). Zset scores are re-printed with %.17g so that
 * servers that print doubles differently (Redis < 7.2 vs ≥ 7.2, Valkey) agree on equal scores.
 */

/** Shared Lua helpers: per-element digests, XOR accumulation, score normalisation. */
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
local function membersXor(acc, items)
  for i = 1, #items do xorInto(acc, redis.sha1hex(items[i])) end
end
local function listDigest(items)
  local parts = {}
  for i = 1, #items do parts[i] = lp(items[i]) end
  return redis.sha1hex(table.concat(parts))
end
local function entriesDigest(entries)
  local parts = {}
  for i = 1, #entries do
    local e = entries[i]
    local fields = {}
    for j = 1, #e[2] do fields[j] = lp(e[2][j]) end
    parts[i] = lp(e[1]) .. #e[2] .. '|' .. table.concat(fields)
  end
  return redis.sha1hex(table.concat(parts))
end
-- What a stream carries besides entries and what the copy recreates: last ID, groups and their last-delivered IDs.
local function streamMeta(k)
  local info = redis.call('XINFO', 'STREAM', k)
  local last = ''
  for i = 1, #info, 2 do if info[i] == 'last-generated-id' then last = info[i + 1] end end
  local acc = {0, 0, 0, 0, 0}
  local groups = redis.call('XINFO', 'GROUPS', k)
  for g = 1, #groups do
    local name, delivered = '', ''
    local group = groups[g]
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then delivered = group[i + 1] end
    end
    xorInto(acc, redis.sha1hex(lp(name) .. delivered))
  end
  return last .. '|' .. accHex(acc)
end
`;

/**
 * Fingerprints a batch. ARGV: limit (elements digested inline), maxInlineBytes (string bytes), rawElements,
 * rawBytes, key… . Returns nowMs, then per key: type, pttl, size, fingerprint. The fingerprint is the value itself
 * for small keys (strings up to rawBytes, hashes, sets, zsets and lists up to rawElements: hashing them in Lua
 * would cost the server more than sending them), a SHA1 digest computed here up to `limit` elements, and false
 * for bigger keys, which are digested in chunks. Both sides pick by size, so equal keys get the same kind.
 * TIME and PTTL are read in the same atomic call, so now + pttl is the key's absolute expiry on that server.
 */
export const fingerprintBatchScript = `${helpers}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local rawElements = tonumber(ARGV[3])
local rawBytes = tonumber(ARGV[4])
local types, pttls = {}, {}
-- Every expiry first: PTTL follows the clock while the script runs, and digests take time.
for i = 5, #ARGV do
  types[i] = redis.call('TYPE', ARGV[i]).ok
  pttls[i] = types[i] == 'none' and -2 or redis.call('PTTL', ARGV[i])
end
local out = {now}
for i = 5, #ARGV do
  local k = ARGV[i]
  local ty = types[i]
  local pttl, size, digest = pttls[i], 0, false
  if ty ~= 'none' then
    if ty == 'string' then
      size = redis.call('STRLEN', k)
      if size <= rawBytes then digest = redis.call('GET', k)
      elseif size <= maxBytes then digest = redis.sha1hex(redis.call('GET', k)) end
    elseif ty == 'hash' then
      size = redis.call('HLEN', k)
      if size <= rawElements then digest = redis.call('HGETALL', k)
      elseif size <= limit then
        local acc = {0, 0, 0, 0, 0}
        pairsXor(acc, redis.call('HGETALL', k), 'hash')
        digest = accHex(acc)
      end
    elseif ty == 'set' then
      size = redis.call('SCARD', k)
      if size <= rawElements then digest = redis.call('SMEMBERS', k)
      elseif size <= limit then
        local acc = {0, 0, 0, 0, 0}
        membersXor(acc, redis.call('SMEMBERS', k))
        digest = accHex(acc)
      end
    elseif ty == 'zset' then
      size = redis.call('ZCARD', k)
      if size <= rawElements then digest = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
      elseif size <= limit then
        local acc = {0, 0, 0, 0, 0}
        pairsXor(acc, redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), 'zset')
        digest = accHex(acc)
      end
    elseif ty == 'list' then
      size = redis.call('LLEN', k)
      if size <= rawElements then digest = redis.call('LRANGE', k, 0, -1)
      elseif size <= limit then digest = listDigest(redis.call('LRANGE', k, 0, -1)) end
    elseif ty == 'stream' then
      size = redis.call('XLEN', k)
      if size <= limit then digest = entriesDigest(redis.call('XRANGE', k, '-', '+')) .. '|' .. streamMeta(k) end
    elseif ty == 'ReJSON-RL' then
      digest = redis.sha1hex(redis.call('JSON.GET', k))
    else
      digest = 'unsupported'
    end
  end
  out[#out + 1] = ty
  out[#out + 1] = pttl
  out[#out + 1] = size
  out[#out + 1] = digest
end
return out
`;

/**
 * One chunk of a big key's digest. KEYS[1] = key; ARGV: type, cursor, count.
 * Returns {nextCursor ('0' when done), chunkDigest, elementsSeen}. The caller combines chunk digests: XOR for
 * hashes, sets and zsets (order-free), a running SHA1 for strings, lists and streams (ordered; both sides
 * chunk at the same offsets). Cursors: SCAN cursor (hash/set/zset), byte or index offset (string/list),
 * exclusive last ID (stream; the final call adds the stream's metadata).
 */
export const digestChunkScript = `${helpers}
local k, ty, cursor, count = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
if ty == 'hash' or ty == 'set' or ty == 'zset' then
  local cmd = ty == 'hash' and 'HSCAN' or (ty == 'set' and 'SSCAN' or 'ZSCAN')
  local page = redis.call(cmd, k, cursor, 'COUNT', count)
  local items = page[2]
  local acc = {0, 0, 0, 0, 0}
  local seen
  if ty == 'set' then
    membersXor(acc, items)
    seen = #items
  else
    pairsXor(acc, items, ty)
    seen = #items / 2
  end
  return {page[1], accHex(acc), seen}
elseif ty == 'string' then
  local start = tonumber(cursor)
  local piece = redis.call('GETRANGE', k, start, start + count - 1)
  local next = #piece < count and '0' or tostring(start + count)
  return {next, redis.sha1hex(piece), #piece}
elseif ty == 'list' then
  local start = tonumber(cursor)
  local items = redis.call('LRANGE', k, start, start + count - 1)
  local next = #items < count and '0' or tostring(start + count)
  return {next, listDigest(items), #items}
elseif ty == 'stream' then
  local from = cursor == '0' and '-' or '(' .. cursor
  local entries = redis.call('XRANGE', k, from, '+', 'COUNT', count)
  if #entries < count then
    return {'0', entriesDigest(entries) .. '|' .. streamMeta(k), #entries}
  end
  return {entries[#entries][1], entriesDigest(entries), #entries}
end
return redis.error_reply('ERR cannot digest type ' .. ty)
`;

/** Which keys exist. ARGV: key… . Returns a string of '1'/'0', one per key (one billed command per batch). */
export const existsBatchScript = `
local out = {}
for i = 1, #ARGV do out[i] = redis.call('EXISTS', ARGV[i]) == 1 and '1' or '0' end
return table.concat(out)
`;

/** Draws keys with RANDOMKEY. ARGV: draws. Returns the keys drawn (an empty database returns none). */
export const randomKeysScript = `
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local k = redis.call('RANDOMKEY')
  if not k then break end
  out[#out + 1] = k
end
return out
`;
