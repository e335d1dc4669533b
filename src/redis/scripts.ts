/**
 * Lua scripts. Keys travel in ARGV (not KEYS) so one script call can read a whole SCAN batch from one node:
 * one billed source command for hundreds of keys. Lua strings are binary-safe, so values stay byte-exact.
 */

/**
 * Reads a batch. ARGV: chunkLimit, maxInlineBytes, typeFilter (comma list or ''), key… .
 * Returns: nowMs, then per key: type, pttl, size, value (false when too big to inline or filtered out).
 * The expiry is read with TIME in the same atomic call, so now + pttl is an absolute expiry (invariant 4).
 */
export const readBatchScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local filter = ARGV[3]
local types, pttls = {}, {}
-- Every expiry first: PTTL follows the clock while the script runs, so reading values in between would skew it.
for i = 4, #ARGV do
  local ty = redis.call('TYPE', ARGV[i]).ok
  if ty ~= 'none' and filter ~= '' and not string.find(',' .. filter .. ',', ',' .. ty .. ',', 1, true) then
    ty = 'filtered'
  end
  types[i] = ty
  pttls[i] = (ty == 'none' or ty == 'filtered') and -2 or redis.call('PTTL', ARGV[i])
end
local out = {now}
for i = 4, #ARGV do
  local k, ty = ARGV[i], types[i]
  local size, val = 0, false
  if ty == 'string' then
    size = redis.call('STRLEN', k)
    if size <= maxBytes then val = redis.call('GET', k) end
  elseif ty == 'hash' then
    size = redis.call('HLEN', k)
    if size <= limit then val = redis.call('HGETALL', k) end
  elseif ty == 'list' then
    size = redis.call('LLEN', k)
    if size <= limit then val = redis.call('LRANGE', k, 0, -1) end
  elseif ty == 'set' then
    size = redis.call('SCARD', k)
    if size <= limit then val = redis.call('SMEMBERS', k) end
  elseif ty == 'zset' then
    size = redis.call('ZCARD', k)
    if size <= limit then val = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES') end
  elseif ty == 'stream' then
    size = redis.call('XLEN', k)
    if size <= limit then
      val = {redis.call('XRANGE', k, '-', '+'), redis.call('XINFO', 'STREAM', k), redis.call('XINFO', 'GROUPS', k)}
    end
  elseif ty == 'ReJSON-RL' then
    val = redis.call('JSON.GET', k)
  end
  out[#out + 1] = ty
  out[#out + 1] = pttls[i]
  out[#out + 1] = size
  out[#out + 1] = val
end
return out
`;

/**
 * Dump-mode read. ARGV: typeFilter, key… . Returns nowMs, then per key: pttl, payload (false when the key is gone;
 * the string 'filtered' when its type is not wanted).
 */
export const dumpBatchScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local filter = ARGV[1]
local pttls = {}
-- Every expiry first: PTTL follows the clock while the script runs, and DUMP of a big key takes time.
for i = 2, #ARGV do
  local pttl = redis.call('PTTL', ARGV[i])
  if pttl ~= -2 and filter ~= '' then
    local ty = redis.call('TYPE', ARGV[i]).ok
    if not string.find(',' .. filter .. ',', ',' .. ty .. ',', 1, true) then pttl = -3 end
  end
  pttls[i] = pttl
end
local out = {now}
for i = 2, #ARGV do
  out[#out + 1] = pttls[i]
  out[#out + 1] = pttls[i] >= -1 and redis.call('DUMP', ARGV[i]) or false
end
return out
`;

/** Dry-run read. ARGV: typeFilter, key… . Returns per key: type, size, bytes (MEMORY USAGE where allowed). */
export const surveyBatchScript = `
local filter = ARGV[1]
local sizeOf = {string = 'STRLEN', hash = 'HLEN', list = 'LLEN', set = 'SCARD', zset = 'ZCARD', stream = 'XLEN'}
local out = {}
for i = 2, #ARGV do
  local k = ARGV[i]
  local ty = redis.call('TYPE', k).ok
  local size, bytes = 0, 0
  if ty ~= 'none' and filter ~= '' and not string.find(',' .. filter .. ',', ',' .. ty .. ',', 1, true) then
    ty = 'filtered'
  elseif sizeOf[ty] then
    size = redis.call(sizeOf[ty], k)
    local ok, mem = pcall(redis.call, 'MEMORY', 'USAGE', k)
    bytes = (ok and type(mem) == 'number') and mem or (ty == 'string' and size or 0)
  end
  out[#out + 1] = ty
  out[#out + 1] = size
  out[#out + 1] = bytes
end
return out
`;

/**
 * Writes one key atomically, or one chunk of a key being rebuilt. KEYS[1] = key.
 * ARGV: type, expireAtMs (0 = none), policy (replace | skip | fail | append), payload… .
 * Returns 'ok', 'skipped', 'expired' or 'exists:<type>'. 'append' adds to the key as it is (chunked rebuilds).
 */
export const writeKeyScript = `
local k = KEYS[1]
local ty, exp, policy = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if policy ~= 'append' then
  if policy ~= 'replace' and redis.call('EXISTS', k) == 1 then
    if policy == 'skip' then return 'skipped' end
    return 'exists:' .. redis.call('TYPE', k).ok
  end
  if exp > 0 then
    local t = redis.call('TIME')
    if exp <= tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then
      redis.call('DEL', k)
      return 'expired'
    end
  end
  redis.call('DEL', k)
end
local n = #ARGV
local function each(step, fn)
  local i = 4
  while i <= n do
    local last = math.min(i + step - 1, n)
    fn(i, last)
    i = last + 1
  end
end
if ty == 'string' then
  if n >= 4 then redis.call('APPEND', k, ARGV[4]) end
elseif ty == 'hash' then
  each(1000, function(a, b) redis.call('HSET', k, unpack(ARGV, a, b)) end)
elseif ty == 'list' then
  each(1000, function(a, b) redis.call('RPUSH', k, unpack(ARGV, a, b)) end)
elseif ty == 'set' then
  each(1000, function(a, b) redis.call('SADD', k, unpack(ARGV, a, b)) end)
elseif ty == 'zset' then
  each(1000, function(a, b) redis.call('ZADD', k, unpack(ARGV, a, b)) end)
elseif ty == 'stream' then
  local i = 4
  local entries = tonumber(ARGV[i]); i = i + 1
  for _ = 1, entries do
    local fields = tonumber(ARGV[i + 1])
    redis.call('XADD', k, ARGV[i], unpack(ARGV, i + 2, i + 1 + fields))
    i = i + 2 + fields
  end
  if ARGV[i] == '1' then
    -- MKSTREAM through a throwaway group: the only way to create a stream with no entries.
    redis.call('XGROUP', 'CREATE', k, '__migrate_mk', '$', 'MKSTREAM')
    redis.call('XGROUP', 'DESTROY', k, '__migrate_mk')
    redis.call('XSETID', k, ARGV[i + 1], 'ENTRIESADDED', ARGV[i + 2], 'MAXDELETEDID', ARGV[i + 3])
    local groups = tonumber(ARGV[i + 4]); i = i + 5
    for _ = 1, groups do
      if ARGV[i + 2] == '' then
        redis.call('XGROUP', 'CREATE', k, ARGV[i], ARGV[i + 1])
      else
        redis.call('XGROUP', 'CREATE', k, ARGV[i], ARGV[i + 1], 'ENTRIESREAD', ARGV[i + 2])
      end
      i = i + 3
    end
  end
elseif ty == 'ReJSON-RL' then
  redis.call('JSON.SET', k, '$', ARGV[4])
else
  return redis.error_reply('ERR unsupported type ' .. ty)
end
if exp > 0 and policy ~= 'append' then redis.call('PEXPIREAT', k, exp) end
return 'ok'
`;
