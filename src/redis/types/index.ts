import type { TypeCodec } from './codec.js';
import { hashCodec, hashTtlCodec } from './hash.js';
import { jsonCodec } from './json.js';
import { listCodec } from './list.js';
import { setCodec } from './set.js';
import { streamCodec } from './stream.js';
import { stringCodec } from './string.js';
import { zsetCodec } from './zset.js';

/** Every type the copy understands, by the name TYPE answers ('hash-ttl': a hash whose fields carry expiries). */
export const codecs: Record<string, TypeCodec> = {
  string: stringCodec,
  hash: hashCodec,
  'hash-ttl': hashTtlCodec,
  list: listCodec,
  set: setCodec,
  zset: zsetCodec,
  stream: streamCodec,
  'ReJSON-RL': jsonCodec,
};

/** Type names operators use with --type; `json` means the RedisJSON type. */
export const typeNames = ['string', 'hash', 'list', 'set', 'zset', 'stream', 'json'] as const;
export type TypeName = (typeof typeNames)[number];
export const serverTypeName = (name: TypeName): string => (name === 'json' ? 'ReJSON-RL' : name);
export const operatorTypeName = (serverName: string): string =>
  serverName === 'ReJSON-RL' ? 'json' : serverName;
