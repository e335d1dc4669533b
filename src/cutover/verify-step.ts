/** The verifies a switch runs: the gate (now, or the last saved one), the final check of a window, the catch-up. */
import type { LastVerify } from '../control/last-verify.js';
import { lastVerifyKey } from '../control/names.js';
import type { Side } from '../control/stages.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { defaultVerifyOptions, type VerifyOptions, type VerifyReport, verifyKeys } from '../verify/index.js';
import { portOf, type SwitchContext } from './context.js';
import { type Gate, gate } from './gate.js';

export interface VerifyRequest {
  /** The side taken as the truth (the old primary): its keys are compared with, and repaired onto, the other. */
  from: Side;
  mode: 'sample' | 'full';
  repair?: boolean;
  keyFilter?: ((key: Buffer) => boolean) | undefined;
  /** Saved in `__migrate:verify:last` (never in a dry run, never for the reverse direction). */
  save?: boolean;
  onRepaired?: ((keys: Buffer[]) => void) | undefined;
  /** false: no re-check of a differing key before it counts (writes are held, so nothing can still change). */
  recheck?: boolean;
  /** Writes go on (a gate): a key whose source value moves between looks is live traffic, skipped as busy. */
  live?: boolean;
}

export function verifySides(context: SwitchContext, request: VerifyRequest): Promise<VerifyReport> {
  const to: Side = request.from === 'source' ? 'target' : 'source';
  const options: VerifyOptions = {
    ...defaultVerifyOptions,
    mode: request.mode,
    sample: context.options.verifySample,
    repair: request.repair === true,
    keyFilter: request.keyFilter,
    ...(request.recheck === false ? { recheckAttempts: 0 } : {}),
    skipBusyKeys: request.live === true,
    saveResult: request.save === true && request.from === 'source' && !context.options.dryRun,
  };
  return verifyKeys(portOf(context, request.from), portOf(context, to), options, {
    signal: context.signal,
    onRepaired: request.onRepaired,
  });
}

export function describeVerify(report: VerifyReport): string {
  const busy = report.busy > 0 ? `, ${report.busy} busy with live writes` : '';
  return report.ok
    ? `clean: ${report.checked} keys compared (${report.mode})${busy}`
    : `${report.remaining} of ${report.checked} keys differ (${report.mode})${busy}${report.interrupted ? ', interrupted' : ''}`;
}

const verifyThreshold = 'clean, newer than the sync’s last gap';

/**
 * A verify run now (sample or full), source as the truth, while writes go on: keys written faster than the sync's lag
 * are skipped as busy (the lag gate vouches for the sync; a window's final verify, writes stopped, compares them).
 */
export async function verifyNowGate(context: SwitchContext, mode: 'sample' | 'full'): Promise<Gate> {
  const report = await verifySides(context, { from: 'source', mode, save: true, live: true });
  return gate('verify', report.ok, describeVerify(report), verifyThreshold);
}

/** `--verify none`: the last saved verify, which must be clean and no older than the sync's last gap. */
export async function savedVerifyGate(target: RedisPort, lastGapAt: string | undefined): Promise<Gate> {
  const text = asText(await call(target, cmd('GET', [lastVerifyKey], lastVerifyKey)));
  let last: LastVerify | undefined;
  try {
    last = text === '' ? undefined : (JSON.parse(text) as LastVerify);
  } catch {
    last = undefined;
  }
  if (!last) return gate('verify', false, 'no saved verify result', verifyThreshold);
  const olderThanGap = lastGapAt !== undefined && Date.parse(last.at) < Date.parse(lastGapAt);
  const value = `${last.ok ? 'clean' : `${last.remaining} differences`} (${last.mode}, ${last.checked} keys) at ${last.at}`;
  return gate(
    'verify',
    last.ok && !last.interrupted && !olderThanGap,
    value,
    verifyThreshold,
    olderThanGap ? `the sync had a gap at ${lastGapAt}, after this verify` : undefined,
  );
}
