/**
 * Lua scripts. Keys travel in ARGV (not KEYS) so one script call can read a whole SCAN batch from one node:
 * one billed source command for hundreds of keys. Lua strings are binary-safe, so values stay byte-exact.
 * Scripts that also run on a target take their keys through `keyList`, declared where the server requires it.
 * Each type's branches come from its module in src/redis/types/.
 */
import { expireAtLua } from './expiry.js';
import { readOnlyScript } from './script-runner.js';
import { fieldTtlListLua } from './types/hash.js';
import { redisTypes, typeForms } from './types/index.js';
import { luaIf, luaTable, typeBranches } from './types/lua-switch.js';

/**
 * `keyList(fixed)`: the keys of the call. Declared (KEYS) where the server wants every key declared, one slot per
 * call (ElastiCache Serverless); otherwise undeclared, in ARGV after the `fixed` arguments
 * (src/redis/script-runner.ts keysScriptCommand sends them either way).
 */
export const keyListLua = `
local function keyList(fixed)
  if #KEYS > 0 then return KEYS end
  local list = {}
  for i = fixed + 1, #ARGV do list[i - fixed] = ARGV[i] end
  return list
end
`;

/** The read script's per-type Lua: helper functions, then the chain reading each key's size and value. */
const readHelpers = redisTypes.map((t) => t.lua.readHelpers ?? '').join('');
const readChain = luaIf(typeBranches(redisTypes.map((t) => [t.server, t.lua.read])), '  ');

/**
 * Reads a batch. ARGV: chunkLimit, maxInlineBytes, typeFilter (comma list or ''), then the keys (keyList).
 * Returns: nowMs, then per key: type, expireAt (absolute ms, -1 none, -2 gone: see expiry.ts), size, value (false
 * when too big to inline or filtered out), then the read's stamp (TIME in microseconds, for stamped writes:
 * src/keys/stamp.ts). A hash whose fields carry expiries is typed 'hash-ttl', its value {pairs, field expiries};
 * a big hash that may carry them is typed 'hash-ttl' too (its chunks read them).
 */
export const readBatchScript = readOnlyScript(`${keyListLua}${expireAtLua}${readHelpers}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local filter = ARGV[3]
local keys = keyList(3)
local types, expiries = {}, {}
-- Every expiry first: where PTTL is the fallback it follows the clock, so reading values in between would skew it.
for i = 1, #keys do
  local ty = redis.call('TYPE', keys[i]).ok
  if ty ~= 'none' and filter ~= '' and not string.find(',' .. filter .. ',', ',' .. ty .. ',', 1, true) then
    ty = 'filtered'
  end
  types[i] = ty
  expiries[i] = (ty == 'none' or ty == 'filtered') and -2 or expireAt(keys[i], now)
end
-- Replies placed by index: #out is a search per call, four per key.
local out = {now}
for i = 1, #keys do
  local k, ty = keys[i], types[i]
  local size, val = 0, false
${readChain}
  local at = 4 * i - 2
  out[at], out[at + 1], out[at + 2], out[at + 3] = ty, expiries[i], size, val
end
out[4 * #keys + 2] = tonumber(t[1]) * 1000000 + tonumber(t[2])
return out
`);

/**
 * Dump-mode read. ARGV: typeFilter, key… . Returns nowMs, then per key: expireAt (absolute ms, -1 none, -2 gone,
 * -3 when its type is not wanted), payload (false unless expireAt >= -1), then the read's stamp (TIME in
 * microseconds, for stamped writes: src/keys/stamp.ts).
 */
export const dumpBatchScript = readOnlyScript(`${expireAtLua}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local filter = ARGV[1]
local expiries = {}
-- Every expiry first: where PTTL is the fallback it follows the clock, and DUMP of a big key takes time.
for i = 2, #ARGV do
  local at = expireAt(ARGV[i], now)
  if at ~= -2 and filter ~= '' then
    local ty = redis.call('TYPE', ARGV[i]).ok
    if not string.find(',' .. filter .. ',', ',' .. ty .. ',', 1, true) then at = -3 end
  end
  expiries[i] = at
end
local out = {now}
for i = 2, #ARGV do
  out[#out + 1] = expiries[i]
  out[#out + 1] = expiries[i] >= -1 and redis.call('DUMP', ARGV[i]) or false
end
out[#out + 1] = tonumber(t[1]) * 1000000 + tonumber(t[2])
return out
`);

/** Each type's size command, as a Lua table by TYPE's answer. */
const sizeCommands = luaTable(
  redisTypes.flatMap((t) => (t.sizeCommand ? [[t.server, t.sizeCommand] as const] : [])),
);

/**
 * Dry-run read. ARGV: typeFilter, key… . Returns per key: type, size, bytes (MEMORY USAGE where allowed), and for a
 * hash the number of its fields that carry an expiry (read page by page: a dry run may take its time).
 */
export const surveyBatchScript = readOnlyScript(`${fieldTtlListLua}
local filter = ARGV[1]
local sizeOf = ${sizeCommands}
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
  out[#out + 1] = ty == 'hash' and #fieldTtlList(k) / 2 or 0
end
return out
`);

/** writeKey's replacement of a key whole in one command: the types that have one, and a DUMP payload. */
const replaceChain = luaIf(
  [
    ...typeBranches(redisTypes.map((t) => [t.server, t.lua.replace])),
    {
      when: "ty == 'restore'",
      body: "redis.call('RESTORE', k, exp, args[from], 'ABSTTL', 'REPLACE')\nreturn 'ok'",
    },
  ],
  '    ',
);

/** writeKey's write of a payload, per form ('hash-ttl' besides 'hash'). */
const writeChain = luaIf(
  [
    ...typeBranches(typeForms.map((f) => [f.name, f.write])),
    { body: "return redis.error_reply('ERR unsupported type ' .. ty)" },
  ],
  '  ',
);

/**
 * Lua shared by the write scripts: `writeKey(k, ty, exp, policy, args, from, to)` writes one key from the payload
 * args[from..to] and returns 'ok', 'skipped', 'expired' or 'exists:<type>'. ty is a type name, 'hash-ttl' for a
 * hash whose fields carry expiries (written with HPEXPIREAT), or 'restore' for a DUMP payload. policy is replace | skip | fail, or append: add to the key as it is (chunked rebuilds).
 */
const writeHelpers = `
local clock
local function nowMs()
  if not clock then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock
end
-- A script may go past maxmemory once it has written anything, so its first write must be one that honours it:
-- SETRANGE with an empty value changes nothing, but is refused with OOM like any growing write.
local function oomRefusal(k)
  local probe = redis.pcall('SETRANGE', k, 0, '')
  if type(probe) == 'table' and probe.err and string.sub(probe.err, 1, 3) == 'OOM' then return probe end
  return nil
end
-- The fields of a packed argument (src/keys/write-batch.ts packWrites): each a 4-byte big-endian length, then its bytes.
local function unpackFields(blob)
  local fields, count, pos = {}, 0, 1
  while pos <= #blob do
    count = count + 1
    fields[count], pos = struct.unpack('>I4c0', blob, pos)
  end
  return fields, count
end
local function each(command, k, args, from, to)
  local i = from
  while i <= to do
    local last = math.min(i + 999, to)
    redis.call(command, k, unpack(args, i, last))
    i = last + 1
  end
end
local function writeKey(k, ty, exp, policy, args, from, to)
  if policy ~= 'append' then
    if policy ~= 'replace' and redis.call('EXISTS', k) == 1 then
      if policy == 'skip' then return 'skipped' end
      return 'exists:' .. redis.call('TYPE', k).ok
    end
    if exp > 0 and exp <= nowMs() then
      redis.call('DEL', k)
      return 'expired'
    end
    -- One command replaces whatever the key held, expiry included.
${replaceChain}
    redis.call('DEL', k)
  end
${writeChain}
  if exp > 0 and policy ~= 'append' then redis.call('PEXPIREAT', k, exp) end
  return 'ok'
end
`;

/**
 * Writes one key atomically, or one chunk of a key being rebuilt. KEYS[1] = key.
 * ARGV: type, expireAtMs (0 = none), policy, payload… . Returns what writeKey returns.
 */
export const writeKeyScript = `${writeHelpers}
local refused = oomRefusal(KEYS[1])
if refused then return refused end
return writeKey(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV, 4, #ARGV)
`;

/**
 * Writes many keys of one node in one call, each atomically (the whole call is). ARGV: policy, then one binary
 * string packing every key's fields, each as a 4-byte big-endian length and its bytes: key, type, expireAtMs,
 * payload length n, payload×n (src/keys/write-batch.ts packs it: one argument instead of thousands is far cheaper
 * for the client to send and the server to parse). Returns one reply per key: what writeKey returns, or that key's
 * error, so one refused key (WRONGTYPE, OOM) does not fail the others. Keys are not declared: a script without
 * flags may touch keys of several slots of its own node; a node that refuses that answers with per-key errors.
 */
export const writeBatchScript = `${writeHelpers}
local policy, blob = ARGV[1], ARGV[2]
local args, count = unpackFields(blob)
local refused = count > 0 and oomRefusal(args[1])
if refused then return refused end
local out = {}
local i = 1
while i <= count do
  local n = tonumber(args[i + 3])
  local ok, reply = pcall(writeKey, args[i], args[i + 1], tonumber(args[i + 2]), policy, args, i + 4, i + 3 + n)
  if ok then
    out[#out + 1] = reply
  else
    out[#out + 1] = {err = type(reply) == 'table' and reply.err or tostring(reply)}
  end
  i = i + 4 + n
end
return out
`;

/**
 * Lua shared by the stamped writes: refuses a copy read before the one the secondary already holds. A stamp is the
 * primary's clock at the read (microseconds, as a decimal string: exact in a Lua double up to 2^53), kept per key in
 * a hash of the key's own slot.
 */
const stampHelpers = `
-- stamp: a number here (in the hash it stays the decimal string: a Lua number would be written as %.14g).
local function stale(k, hash, stamp)
  local held = redis.call('HGET', hash, k)
  return held and tonumber(held) > stamp
end
-- The hash outlives its slot's last stamped write by ttl at least, twice that at most: its expiry is renewed (to twice
-- ttl) only once less than ttl is left, so most writes read the expiry (PTTL) instead of writing it (PEXPIRE, a
-- keyspace write, the dearest call of a stamped write).
-- stamp: the decimal string; ttl: a number.
local function keepStamp(k, hash, stamp, ttl)
  redis.call('HSET', hash, k, stamp)
  if redis.call('PTTL', hash) < ttl then redis.call('PEXPIRE', hash, 2 * ttl) end
end
`;

/**
 * A stamped write of one key: KEYS[1] = key, KEYS[2] = the stamp hash of its slot (both declared, one slot).
 * ARGV: type ('none' deletes), expireAtMs, policy, stamp, stampTtlMs, payload… . Returns 'stale' (a newer copy is
 * there: nothing written), 'deleted', or what writeKey returns.
 */
export const writeStampedScript = `${writeHelpers}${stampHelpers}
if stale(KEYS[1], KEYS[2], tonumber(ARGV[4])) then return 'stale' end
local reply = 'deleted'
if ARGV[1] == 'none' then
  redis.call('DEL', KEYS[1])
else
  local refused = oomRefusal(KEYS[1])
  if refused then return refused end
  reply = writeKey(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV, 6, #ARGV)
  if type(reply) == 'table' then return reply end
end
keepStamp(KEYS[1], KEYS[2], ARGV[4], tonumber(ARGV[5]))
return reply
`;

/**
 * Stamped writes of many keys in one call. ARGV: policy, stamp, stampTtlMs, then the keys' writes packed as
 * writeBatchScript takes them, with each key's stamp hash after it (key, stamp hash, type, expireAtMs, payload
 * length n, payload×n; a type 'none' deletes). The keys are declared (KEYS = key1, its stamp hash, key2, …) where
 * the server wants them declared, one slot per call; otherwise undeclared, many slots per call (a standalone server),
 * which spares the client and the server a thousand arguments per call. Returns one reply per key, as
 * writeStampedScript answers, or that key's error.
 */
export const writeStampedBatchScript = `${writeHelpers}${stampHelpers}
local policy, stamp, ttl, blob = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local stampNumber = tonumber(stamp)
local args, count = unpackFields(blob)
local refused = count > 0 and oomRefusal(args[1])
if refused then return refused end
local function writeOne(k, hash, ty, exp, from, to)
  if stale(k, hash, stampNumber) then return 'stale' end
  local written = 'deleted'
  if ty == 'none' then redis.call('DEL', k) else written = writeKey(k, ty, exp, policy, args, from, to) end
  if type(written) == 'table' then return written end
  keepStamp(k, hash, stamp, ttl)
  return written
end
local out = {}
local i, n = 1, 0
while i <= count do
  n = n + 1
  local size = tonumber(args[i + 4])
  local ok, reply = pcall(writeOne, args[i], args[i + 1], args[i + 2], tonumber(args[i + 3]), i + 5, i + 4 + size)
  out[n] = ok and reply or {err = type(reply) == 'table' and reply.err or tostring(reply)}
  i = i + 5 + size
end
return out
`;

/**
 * The stamped end of a key rebuilt in chunks: KEYS[1] = temporary key, KEYS[2] = key, KEYS[3] = stamp hash (one slot).
 * ARGV: expireAtMs (0 = none), stamp, stampTtlMs. Gives the temporary key its expiry and renames it into place, or
 * drops it and returns 'stale' when a newer copy is there.
 */
export const renameStampedScript = `${stampHelpers}
if stale(KEYS[2], KEYS[3], tonumber(ARGV[2])) then
  redis.call('DEL', KEYS[1])
  return 'stale'
end
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) else redis.call('PERSIST', KEYS[1]) end
redis.call('RENAME', KEYS[1], KEYS[2])
keepStamp(KEYS[2], KEYS[3], ARGV[2], tonumber(ARGV[3]))
return 'ok'
`;
