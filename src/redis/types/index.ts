import type { Reply } from '../port.js';
import type { TypeCodec } from './codec.js';
import { hashType } from './hash.js';
import { jsonType } from './json.js';
import { listType } from './list.js';
import type { RedisType } from './redis-type.js';
import { setType } from './set.js';
import { streamType } from './stream.js';
import { stringType } from './string.js';
import { zsetType } from './zset.js';

export type { RedisType, TypeLua, TypeVariant } from './redis-type.js';

/**
 * Every type the copy, the sync and verify understand, one module each. Adding a type is one module and one line
 * here; the order is the order of the scripts' `if` chains.
 */
export const redisTypes = [stringType, hashType, listType, setType, zsetType, streamType, jsonType] as const;

/** A shape a key travels in between the read and the write: its type's own, or a variant ('hash-ttl'). */
export interface TypeForm extends TypeCodec {
  name: string;
  type: RedisType;
  /** writeKey's Lua. */
  write: string;
  /** The value in its type's own shape. */
  plain(value: Reply): Reply;
}

const byServerName = new Map<string, RedisType>(redisTypes.map((t) => [t.server, t]));

/** Every form, in registry order: each type's own, then its variants. */
export const typeForms: readonly TypeForm[] = redisTypes.flatMap((type: RedisType): TypeForm[] => [
  {
    name: type.server,
    type,
    write: type.lua.write,
    plain: (value) => value,
    payload: type.payload,
    chunks: type.chunks,
  },
  ...(type.variants ?? []).map((variant) => ({ ...variant, type })),
]);

const formsByName = new Map(typeForms.map((form) => [form.name, form]));

/** The type TYPE answered `serverName` for; undefined for a type the copy does not understand. */
export const redisType = (serverName: string): RedisType | undefined => byServerName.get(serverName);

/** The form the read script answered `name` for ('hash-ttl' is a hash), or undefined. */
export const typeForm = (name: string): TypeForm | undefined => formsByName.get(name);

/** The inline limit of a type: bytes for a string, elements otherwise (a type without a size is always inline). */
export const inlineLimit = (
  type: RedisType | undefined,
  limits: { chunkSize: number; maxInlineBytes: number },
): number => (type?.sizeIn === 'bytes' ? limits.maxInlineBytes : limits.chunkSize);

/** Type names operators use with --type; `json` means the RedisJSON type. */
export type TypeName = (typeof redisTypes)[number]['operator'];
export const typeNames: readonly TypeName[] = redisTypes.map((t) => t.operator);
export const serverTypeName = (name: TypeName): string => redisTypes.find((t) => t.operator === name)!.server;
export const operatorTypeName = (serverName: string): string => redisType(serverName)?.operator ?? serverName;
