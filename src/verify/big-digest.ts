import { createHash } from 'node:crypto';
import type { KeyState } from '../keys/compare.js';
import { asArray, asNumber, asText, type RedisPort } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { redisType } from '../redis/types/index.js';
import { digestChunkScript } from './scripts.js';

/**
 * Digests a key too big to fingerprint in one call, chunk by chunk on the server (memory stays bounded, the value
 * never crosses the network). Both sides chunk at the same offsets, so equal keys give equal digests. When the
 * elements seen do not add up to the size (the key changed meanwhile, or SCAN repeated elements), the digest is
 * marked unstable: the key then counts as different and is re-checked. Chunk digests are XORed for an
 * order-free type, chained otherwise.
 */
export async function digestBigKey(
  port: RedisPort,
  key: Buffer,
  state: KeyState,
  chunkSize: number,
  maxBytes: number,
): Promise<string> {
  const type = state.type;
  const { sizeIn, orderFree } = redisType(type) ?? { sizeIn: 'elements', orderFree: false };
  const step = sizeIn === 'bytes' ? maxBytes : chunkSize;
  const xor = Buffer.alloc(20);
  const chain = createHash('sha1');
  let cursor = '0';
  let seen = 0;
  do {
    const command = scriptCommand(digestChunkScript, key, [type, cursor, step]);
    const [reply] = await execScripts(port, [command], [digestChunkScript]);
    if (reply instanceof Error) {
      if (/WRONGTYPE|cannot digest/.test(reply.message)) return `changed:${Math.random()}`;
      throw reply;
    }
    const [next, digest, count] = asArray(reply);
    cursor = asText(next);
    seen += asNumber(count);
    const text = asText(digest);
    if (orderFree) {
      const bytes = Buffer.from(text, 'hex');
      for (let i = 0; i < 20; i++) xor[i]! ^= bytes[i] ?? 0;
    } else {
      chain.update(text).update('|');
    }
  } while (cursor !== '0');
  if (seen !== state.size) return `unstable:${Math.random()}`;
  return orderFree ? xor.toString('hex') : chain.digest('hex');
}
