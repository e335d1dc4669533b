import { cmd, type RedisPort } from '../redis/port.js';
import { reservedPrefix } from '../redis/slot.js';
import type { VerifyReport } from './report.js';

/** Where the last verify outcome lives on the target, for `migrate status`. */
export const lastVerifyKey = `${reservedPrefix}verify:last`;

/** The outcome `migrate status` shows: ok, counts and when. */
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
export async function saveLastVerify(target: RedisPort, report: VerifyReport): Promise<boolean> {
  const { ok, mode, checked, missing, extra, typeMismatch, valueMismatch, ttlMismatch, repaired, remaining } =
    report;
  const last: LastVerify = {
    ok,
    mode,
    checked,
    missing,
    extra,
    typeMismatch,
    valueMismatch,
    ttlMismatch,
    repaired,
    remaining,
    interrupted: report.interrupted,
    at: new Date().toISOString(),
    durationMs: report.durationMs,
  };
  const [reply] = await target
    .exec([cmd('SET', [lastVerifyKey, JSON.stringify(last)], lastVerifyKey)])
    .catch((e: Error) => [e]);
  return !(reply instanceof Error);
}
