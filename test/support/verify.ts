import { openEndpoint } from '../../src/redis/connect.js';
import { defaultVerifyOptions, type VerifyOptions } from '../../src/verify/options.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { type VerifyRun, verifyKeys } from '../../src/verify/verify-keys.js';
import { openTarget, type TargetAddress } from './copy.js';

/** Opens both ends, runs the verify engine in-process, and closes them. */
export async function verifyBetween(
  sourceUrl: string,
  targetAddress: TargetAddress,
  options: Partial<VerifyOptions> = {},
  run: VerifyRun = {},
): Promise<VerifyReport> {
  const source = await openEndpoint({ role: 'source', url: sourceUrl });
  const target = await openTarget(targetAddress);
  try {
    return await verifyKeys(source, target, { ...defaultVerifyOptions, ...options }, run);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

/** The problem each example names, by key. */
export const problemsByKey = (report: VerifyReport): Record<string, string> =>
  Object.fromEntries(report.examples.map((example) => [example.key, example.problem]));
