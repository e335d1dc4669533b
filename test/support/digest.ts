/**
 * Redis's own DEBUG DIGEST as an independent correctness oracle, plus helpers that work on a
 * standalone server and on a cluster alike. Test-only: ElastiCache blocks DEBUG.
 *
 * What the digest covers (Redis 7.0, measured): every key name, type and value, and whether a key has
 * a TTL - not the TTL's value, not stream consumer groups, not a stream's last ID (XSETID).
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { TestCluster, TestServer } from './types.js';

export type DigestTarget = Redis | Cluster | TestServer | TestCluster;

const EMPTY = '0'.repeat(40);
/**
 * A non-empty database's digest starts from SHA1(SHA1(htonl(dbIndex))) - for db 0 that constant - and
 * then XORs in one digest per key. Each cluster master adds this constant once, so a plain XOR of
 * the masters' digests equals a standalone digest only when an odd number of masters hold keys.
 * We strip it from every non-empty master and add it back once.
 */
const DB0_SEED = createHash('sha1')
  .update(createHash('sha1').update(Buffer.alloc(4)).digest())
  .digest('hex');

/** DEBUG DIGEST of a server, or the equivalent standalone digest of a cluster's masters. */
export async function digest(target: DigestTarget): Promise<string> {
  const digests = await onMasters(target, async (master) => String(await master.debug('DIGEST')));
  return combineDigests(digests);
}

/** Combines per-master digests into what one server holding all the keys would report. */
export function combineDigests(digests: readonly string[]): string {
  const nonEmpty = digests.filter((d) => d !== EMPTY);
  if (nonEmpty.length === 0) return EMPTY;
  return xorHex([DB0_SEED, ...nonEmpty.map((d) => xorHex([d, DB0_SEED]))]);
}

/** XOR of equal-length hex strings. */
export function xorHex(values: readonly string[]): string {
  const out = Buffer.alloc(20);
  for (const value of values) {
    const bytes = Buffer.from(value, 'hex');
    if (bytes.length !== out.length) throw new Error(`not a 40-hex-digit digest: ${value}`);
    for (let i = 0; i < out.length; i++) out[i]! ^= bytes[i]!;
  }
  return out.toString('hex');
}

/**
 * PEXPIRETIME of each key: absolute ms, -1 without TTL, -2 missing. Map keys are the key bytes as
 * latin1, which is lossless for binary names and still readable in a failed assertion's diff.
 */
export async function expiries(
  client: Redis | Cluster,
  keys: readonly Buffer[],
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const batch = 500;
  for (let start = 0; start < keys.length; start += batch) {
    const slice = keys.slice(start, start + batch);
    // One command per key, so a Cluster client routes each one to its own node.
    const times = await Promise.all(slice.map((key) => client.pexpiretime(key)));
    for (const [i, key] of slice.entries()) result.set(key.toString('latin1'), times[i]!);
  }
  return result;
}

/** FLUSHALL on a server, or on every master of a cluster. */
export async function flushAll(target: DigestTarget): Promise<void> {
  await onMasters(target, (master) => master.flushall());
}

/** Runs `fn` on each master; connections opened here are closed here. */
export async function onMasters<T>(target: DigestTarget, fn: (master: Redis) => Promise<T>): Promise<T[]> {
  if (target instanceof Redis) return [await fn(target)];
  if (target instanceof Cluster) {
    await target.ping(); // the master list is only known once the client is ready
    return Promise.all(target.nodes('master').map(fn));
  }
  const servers = 'nodes' in target ? target.nodes : [target];
  const clients = servers.map((server) => server.client());
  try {
    return await Promise.all(clients.map(fn));
  } finally {
    for (const client of clients) client.disconnect();
  }
}
