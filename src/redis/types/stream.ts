import { type Arg, asArray, cmd, type Reply } from '../port.js';
import { elementChunks, maxRequestArgs, read, writeScriptOverhead } from './codec.js';
import { piecesDigest } from './fingerprint.js';
import { shown } from './preview.js';
import type { RedisType } from './redis-type.js';

/** Field/value pairs of a flat XINFO reply, by name. */
function fieldsOf(flat: Reply[]): Map<string, Reply> {
  const fields = new Map<string, Reply>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1] ?? null);
  return fields;
}

const text = (reply: Reply | undefined, fallback: Arg): Arg =>
  Buffer.isBuffer(reply) || typeof reply === 'number' ? reply : fallback;

/**
 * The stream's own state beyond its entries: last generated ID, entries added, max deleted ID (XSETID), and each
 * consumer group with its last-delivered ID and entries-read counter. Pending entries lists are not recreated.
 */
function metaPayload(info: Reply, groups: Reply): Arg[] {
  const stream = fieldsOf(asArray(info));
  const out: Arg[] = [
    '1',
    text(stream.get('last-generated-id'), '0-0'),
    text(stream.get('entries-added'), 0),
    text(stream.get('max-deleted-entry-id'), '0-0'),
  ];
  const list = asArray(groups);
  out.push(list.length);
  for (const group of list) {
    const g = fieldsOf(asArray(group));
    out.push(
      text(g.get('name'), ''),
      text(g.get('last-delivered-id'), '0-0'),
      text(g.get('entries-read'), ''),
    );
  }
  return out;
}

/** Entries as the write script reads them: count, then id, field count, fields… for each. */
function entriesPayload(entries: Reply[]): Arg[] {
  const out: Arg[] = [entries.length];
  for (const entry of entries) {
    const [id, fields] = asArray(entry);
    const flat = asArray(fields) as Buffer[];
    out.push(id as Buffer, flat.length, ...flat);
  }
  return out;
}

/** Splits entries into groups whose payload fits one request. */
function* fitting(entries: Reply[]): Generator<Reply[]> {
  let group: Reply[] = [];
  let args = 0;
  for (const entry of entries) {
    const size = 2 + asArray(asArray(entry)[1]).length;
    if (group.length > 0 && args + size > maxRequestArgs - writeScriptOverhead - 2) {
      yield group;
      group = [];
      args = 0;
    }
    group.push(entry);
    args += size;
  }
  if (group.length > 0) yield group;
}

/** The fingerprint of a stream read whole: [entries, meta], each entry [id, [field, value, …]]. */
function fingerprint(items: Reply[]): string {
  const [entries, meta] = items;
  const pieces: Array<Buffer | string> = [];
  for (const entry of asArray(entries)) {
    const [id, fields] = entry as [Buffer, Buffer[]];
    pieces.push(id, String(fields.length), ...fields);
  }
  pieces.push(Buffer.isBuffer(meta) ? meta : '');
  return piecesDigest(pieces);
}

function preview(value: Reply): string {
  const entries = asArray(asArray(value)[0] ?? null);
  return `[${entries
    .map((entry) => {
      const [id, fields] = asArray(entry);
      return `${shown(id)} ${asArray(fields ?? null)
        .map(shown)
        .join(' ')}`;
    })
    .join(', ')}]`;
}

/**
 * Streams: entries by XRANGE, then the stream's own state (XSETID, consumer groups); written with XADD. Digested in
 * order: entries, then the last ID and the groups' last-delivered IDs (what the copy recreates).
 */
export const streamType: RedisType<'stream'> = {
  server: 'stream',
  operator: 'stream',
  letter: 'x',
  sizeCommand: 'XLEN',
  sizeIn: 'elements',
  orderFree: false,
  payload(value) {
    const [entries, info, groups] = asArray(value);
    return [...entriesPayload(asArray(entries)), ...metaPayload(info ?? null, groups ?? null)];
  },
  async *chunks(source, key, chunkSize) {
    let start = '-';
    for (;;) {
      const entries = asArray(await read(source, 'XRANGE', [key, start, '+', 'COUNT', chunkSize], key));
      for (const group of fitting(entries)) yield [...entriesPayload(group), '0'];
      if (entries.length < chunkSize) break;
      start = `(${String(asArray(entries.at(-1))[0])}`;
    }
    const [info, groups] = await source.exec([
      { name: 'XINFO', args: ['STREAM', key], key },
      { name: 'XINFO', args: ['GROUPS', key], key },
    ]);
    if (info instanceof Error) throw info;
    yield [0, ...metaPayload(info ?? null, groups instanceof Error ? null : (groups ?? null))];
  },
  wholeRead: (key) => [
    cmd('XRANGE', [key, '-', '+'], key),
    cmd('XINFO', ['STREAM', key], key),
    cmd('XINFO', ['GROUPS', key], key),
  ],
  // Two more for the stream's state (XINFO STREAM and GROUPS).
  chunkReads: (size, chunkSize) => elementChunks(size, chunkSize) + 2,
  fingerprint,
  preview,
  lua: {
    read: `
size = redis.call('XLEN', k)
if size <= limit then
  val = {redis.call('XRANGE', k, '-', '+'), redis.call('XINFO', 'STREAM', k), redis.call('XINFO', 'GROUPS', k)}
end
`,
    write: `
local i = from
local entries = tonumber(args[i]); i = i + 1
for _ = 1, entries do
  local fields = tonumber(args[i + 1])
  redis.call('XADD', k, args[i], unpack(args, i + 2, i + 1 + fields))
  i = i + 2 + fields
end
if args[i] == '1' then
  -- MKSTREAM through a throwaway group: the only way to create a stream with no entries.
  redis.call('XGROUP', 'CREATE', k, '__migrate_mk', '$', 'MKSTREAM')
  redis.call('XGROUP', 'DESTROY', k, '__migrate_mk')
  redis.call('XSETID', k, args[i + 1], 'ENTRIESADDED', args[i + 2], 'MAXDELETEDID', args[i + 3])
  local groups = tonumber(args[i + 4]); i = i + 5
  for _ = 1, groups do
    if args[i + 2] == '' then
      redis.call('XGROUP', 'CREATE', k, args[i], args[i + 1])
    else
      redis.call('XGROUP', 'CREATE', k, args[i], args[i + 1], 'ENTRIESREAD', args[i + 2])
    end
    i = i + 3
  end
end
`,
    fingerprint: `
local entries = redis.call('XRANGE', k, '-', '+', 'COUNT', rawElements + 1)
size = #entries
if size <= rawElements then digest = {entries, streamMeta(k)}
else
  size = redis.call('XLEN', k)
  if size <= limit then digest = entriesDigest(redis.call('XRANGE', k, '-', '+')) .. '|' .. streamMeta(k) end
end
`,
    digestChunk: `
local from = cursor == '0' and '-' or '(' .. cursor
local entries = redis.call('XRANGE', k, from, '+', 'COUNT', count)
if #entries < count then
  return {'0', entriesDigest(entries) .. '|' .. streamMeta(k), #entries}
end
return {entries[#entries][1], entriesDigest(entries), #entries}
`,
    encode: `
local entries = redis.call('XRANGE', k, '-', '+', 'COUNT', countPlusOne)
if #entries > limitCount then return bigKey(i, ty, redis.call('XLEN', k)) end
put('x', tostring(#entries))
for j = 1, #entries do
  put('e', entries[j][1])
  put('f', quoted(entries[j][2]))
end
put('m', streamMeta(k))
`,
    verifyHelpers: `
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
  local last, groupCount = '', 0
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] elseif info[i] == 'groups' then groupCount = info[i + 1] end
  end
  local acc = {0, 0, 0, 0, 0}
  -- XINFO GROUPS only when there are groups: most streams have none, and every call costs the server.
  local groups = groupCount > 0 and redis.call('XINFO', 'GROUPS', k) or {}
  for g = 1, #groups do
    local name, delivered = '', ''
    local group = groups[g]
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then delivered = group[i + 1] end
    end
    xorInto(acc, redis.sha1hex(lp(name) .. delivered))
  end
  return groupCount > 0 and last .. '|' .. accHex(acc) or last
end
`,
  },
};
