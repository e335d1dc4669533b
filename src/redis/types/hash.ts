import { type Arg, asArray, asNumber, cmd, type Reply } from '../port.js';
import { elementChunks, maxRequestArgs, read, scanKey, writeScriptOverhead } from './codec.js';
import { pairsDigest } from './fingerprint.js';
import { scanChunkDigestLua } from './lua-switch.js';
import { pairsPreview } from './preview.js';
import type { RedisType, TypeVariant } from './redis-type.js';

/**
 * Lua for the read script: `mayHoldFieldTtls(k)` says whether hash k can carry field expiries, `fieldExpiries(k,
 * pairs)` reads them (HPEXPIRETIME, absolute ms, one per field of the HGETALL reply \`pairs\`), or false when no
 * field has one. A server without HPEXPIRETIME (Redis < 7.4, Valkey < 9) refuses the first probe, which turns
 * them off for the rest of the call. A 'listpack' hash never held a field TTL (it becomes 'listpackex' on the first), so
 * a plain small hash costs one OBJECT ENCODING inside the script, and no billed command.
 */
const fieldExpiriesLua = `
local fieldTtl
local function mayHoldFieldTtls(k)
  if fieldTtl == nil then
    local probe = redis.pcall('HPEXPIRETIME', k, 'FIELDS', 1, '')
    fieldTtl = type(probe) == 'table' and not probe.err
  end
  return fieldTtl and redis.pcall('OBJECT', 'ENCODING', k) ~= 'listpack'
end
local function fieldExpiries(k, pairs)
  local fields = {}
  for i = 1, #pairs, 2 do fields[#fields + 1] = pairs[i] end
  if #fields == 0 then return false end
  local ats = redis.call('HPEXPIRETIME', k, 'FIELDS', #fields, unpack(fields))
  for i = 1, #ats do
    if ats[i] >= 0 then return ats end
  end
  return false
end
`;

/**
 * Lua: `fieldTtlList(k)` is {field, expireAtMs, …} for every field of hash k that carries an expiry (empty for
 * most hashes, at the price of one OBJECT ENCODING), read page by page so a big hash needs no huge reply.
 */
export const fieldTtlListLua = `${fieldExpiriesLua}
local function fieldTtlList(k)
  local list = {}
  if not mayHoldFieldTtls(k) then return list end
  local cursor = '0'
  repeat
    local page = redis.call('HSCAN', k, cursor, 'COUNT', 1000)
    cursor = page[1]
    local ats = fieldExpiries(k, page[2])
    if ats then
      for i = 1, #ats do
        if ats[i] >= 0 then
          list[#list + 1] = page[2][i * 2 - 1]
          list[#list + 1] = ats[i]
        end
      end
    end
  until cursor == '0'
  return list
end
`;

/** Fields one 'hash-ttl' write may carry: three arguments each (field, value, expiry). */
const fieldsPerTtlWrite = Math.floor((maxRequestArgs - writeScriptOverhead) / 3);

/** The write script's 'hash-ttl' payload: field, value, absolute expiry in ms (0 = none) per field still there. */
function fieldTtlPayload(pairs: Reply[], expiries: Reply[]): Arg[] {
  const payload: Arg[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const at = asNumber(expiries[i / 2]);
    // -2: the field expired between HSCAN and HPEXPIRETIME; it is gone on the source too.
    if (at !== -2) payload.push(pairs[i] as Buffer, pairs[i + 1] as Buffer, at > 0 ? at : 0);
  }
  return payload;
}

/**
 * Hashes whose fields carry expiries (Redis >= 7.4, Valkey >= 9): the read script's {pairs, expiries} inline, and
 * in chunks each HSCAN page with its fields' HPEXPIRETIME (one more source command per chunk, big hashes only);
 * written with HSET, then HPEXPIREAT per field.
 */
const hashTtl: TypeVariant = {
  name: 'hash-ttl',
  plain: (value) => (Array.isArray(value) ? (value[0] ?? null) : value),
  payload: (value) => {
    const [pairs, expiries] = asArray(value);
    return fieldTtlPayload(asArray(pairs), asArray(expiries));
  },
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'HSCAN', key, chunkSize)) {
      for (let from = 0; from < items.length; from += fieldsPerTtlWrite * 2) {
        const pairs = items.slice(from, from + fieldsPerTtlWrite * 2);
        const fields = pairs.filter((_, i) => i % 2 === 0) as Buffer[];
        const expiries = await read(source, 'HPEXPIRETIME', [key, 'FIELDS', fields.length, ...fields], key);
        yield fieldTtlPayload(pairs, asArray(expiries));
      }
    }
  },
  write: `
-- field, value, field expireAtMs (0 = none) per field
local pairs, timed = {}, {}
for i = from, to, 3 do
  local at = tonumber(args[i + 2])
  -- A field past its expiry is gone on the source too: never written without its TTL.
  if at == 0 or at > nowMs() then
    pairs[#pairs + 1] = args[i]
    pairs[#pairs + 1] = args[i + 1]
    if at > 0 then timed[#timed + 1] = i end
  end
end
if #pairs == 0 then return policy == 'append' and 'ok' or 'expired' end
each('HSET', k, pairs, 1, #pairs)
for _, i in ipairs(timed) do redis.call('HPEXPIREAT', k, args[i + 2], 'FIELDS', 1, args[i]) end
`,
};

/**
 * Hashes: HGETALL inline, HSCAN in chunks; written with HSET field value … . A hash whose fields carry expiries is
 * read as the 'hash-ttl' variant. Digested order-free (sorted fields in a batch digest), previewed by field.
 */
export const hashType: RedisType<'hash'> = {
  server: 'hash',
  operator: 'hash',
  letter: 'h',
  sizeCommand: 'HLEN',
  sizeIn: 'elements',
  orderFree: true,
  payload: (value) => asArray(value) as Buffer[],
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'HSCAN', key, chunkSize)) yield items as Buffer[];
  },
  wholeRead: (key) => [cmd('HGETALL', [key], key)],
  chunkReads: elementChunks,
  fingerprint: (items) => pairsDigest(items),
  preview: (value) => pairsPreview(asArray(value), true),
  variants: [hashTtl],
  lua: {
    readHelpers: fieldExpiriesLua,
    read: `
size = redis.call('HLEN', k)
local fieldTtls = mayHoldFieldTtls(k)
if size <= limit then
  val = redis.call('HGETALL', k)
  local ats = fieldTtls and fieldExpiries(k, val)
  if ats then ty, val = 'hash-ttl', {val, ats} end
elseif fieldTtls then
  ty = 'hash-ttl'
end
`,
    write: `each('HSET', k, args, from, to)`,
    fingerprint: `
size = redis.call('HLEN', k)
if size <= rawElements then digest = redis.call('HGETALL', k)
elseif size <= limit then
  local acc = {0, 0, 0, 0, 0}
  pairsXor(acc, redis.call('HGETALL', k), 'hash')
  digest = accHex(acc)
end
`,
    digestChunk: scanChunkDigestLua('HSCAN', 'hash'),
    encode: `
local fields = sorted(i, ty, 'HLEN', 'HKEYS')
if fields then
  put('h', quoted(fields))
  put('v', quoted(redis.call('HMGET', k, unpack(fields))))
end
`,
  },
};
