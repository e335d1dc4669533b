import type { Arg, Reply } from '../port.js';
import { asArray, maxRequestArgs, read, type TypeCodec, writeScriptOverhead } from './codec.js';

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

export const streamCodec: TypeCodec = {
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
};
