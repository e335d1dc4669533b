/** Compares two standalone servers' data outside the reserved `__migrate:` namespace (stamps, records, heartbeats). */
import type { Redis } from 'ioredis';
import { expect } from 'vitest';

export interface UserKey {
  /** DEBUG DIGEST-VALUE: type and value. */
  digest: string;
  /** PEXPIRETIME: -1 without a TTL. */
  expireAt: number;
}

/** Every key outside the reserved namespace, with its value digest and absolute expiry. */
export async function userData(client: Redis): Promise<Map<string, UserKey>> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...found.filter((key) => !key.toString('latin1').startsWith('__migrate:')));
  } while (cursor !== '0');
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.call('DEBUG', 'DIGEST-VALUE', key).pexpiretime(key);
  const replies = (await pipeline.exec()) ?? [];
  const data = new Map<string, UserKey>();
  keys.forEach((key, i) => {
    data.set(key.toString('latin1'), {
      digest: String(replies[i * 2]?.[1]),
      expireAt: Number(replies[i * 2 + 1]?.[1]),
    });
  });
  return data;
}

/** Same keys, same values, same absolute expiries (within 2 ms of rounding) on both servers. */
export async function expectSameUserData(a: Redis, b: Redis): Promise<number> {
  const [left, right] = await Promise.all([userData(a), userData(b)]);
  expect([...right.keys()].sort()).toEqual([...left.keys()].sort());
  for (const [key, value] of left) {
    const other = right.get(key)!;
    expect(other.digest, key).toBe(value.digest);
    expect(Math.abs(other.expireAt - value.expireAt), key).toBeLessThanOrEqual(2);
  }
  return left.size;
}
