import { cmd, type RedisPort } from '../redis/port.js';
import { lastVerifyKey } from './names.js';

/** The outcome `migrate status` and the cutover gates show: ok, counts and when. */
export interface LastVerify {
  ok: boolean;
  mode: 'sample' | 'full';
  checked: number;
  missing: number;
  extra: number;
  typeMismatch: number;
  valueMismatch: number;
  ttlMismatch: number;
  repaired: number;
  remaining: number;
  interrupted: boolean;
  at: string;
  durationMs: number;
}

/** Saves the outcome on the target; a refused write (read-only target, ACL) is reported as false, not thrown. */
export async function saveLastVerify(target: RedisPort, last: LastVerify): Promise<boolean> {
  const [reply] = await target
    .exec([cmd('SET', [lastVerifyKey, JSON.stringify(last)], lastVerifyKey)])
    .catch((e: Error) => [e]);
  return !(reply instanceof Error);
}
