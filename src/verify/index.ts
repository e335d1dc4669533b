/** The verify engine: prove the target equals the source (see docs/verify.md). */

export type { LastVerify } from '../control/last-verify.js';
export { lastVerifyKey } from '../control/names.js';
export type { Problem } from '../keys/compare.js';
export { defaultVerifyOptions, type VerifyOptions } from './options.js';
export type { SampleInfo, SideCounts, VerifyExample, VerifyReport } from './report.js';
export { type VerifyProgress, type VerifyRun, verifyKeys } from './verify-keys.js';
