/** What `migrate verify` compares and how hard it tries before calling a key different. */
export interface VerifyOptions {
  /** 'sample' draws `sample` random source keys; 'full' compares every key and looks for extra target keys. */
  mode: 'sample' | 'full';
  /** Keys to draw in sample mode. @default 1000 */
  sample: number;
  /** SCAN MATCH glob: only keys matching it are compared. @default '*' */
  match: string;
  /** Largest difference between two absolute expiries still counted as equal, in ms. @default 1000 */
  ttlToleranceMs: number;
  /** Wait before re-checking a key found different, in ms. @default 200 */
  recheckMs: number;
  /** Re-checks of a differing key before it is reported. @default 3 */
  recheckAttempts: number;
  /** Re-copy every key found different (extra keys: delete them), then verify those keys again. */
  repair: boolean;
  /** Examples kept per problem kind (every problem is counted). @default 10 */
  maxExamples: number;
  /** Keys fingerprinted per source command. @default 1000 */
  batch: number;
  /** Batches in flight at once. @default 4 */
  concurrency: number;
  /** Elements digested inline; bigger collections are digested in chunks of `chunkSize`. @default 1000 */
  chunkSize: number;
  /** Strings longer than this are digested in pieces of this size. @default 1 MiB */
  maxInlineBytes: number;
  /** Cap on source commands per second (Upstash caps throughput and bills per command); undefined means no cap. */
  rate: number | undefined;
  /** Save the outcome in the reserved key `__migrate:verify:last` on the target (for `migrate status`). */
  saveResult: boolean;
  /**
   * A differing key whose source value changed between two looks is live traffic, not a lost write: skip it (counted
   * as busy) instead of reporting it. For a check while writes go on and a sync carries them (the gate before a window
   * stops writes); a final check, with writes stopped, compares every key. @default false
   */
  skipBusyKeys?: boolean;
  /** Compare only keys it accepts (a cutover's moving buckets); undefined compares every key. */
  keyFilter?: ((key: Buffer) => boolean) | undefined;
}

export const defaultVerifyOptions: VerifyOptions = {
  mode: 'sample',
  sample: 1000,
  match: '*',
  ttlToleranceMs: 1000,
  recheckMs: 200,
  recheckAttempts: 3,
  repair: false,
  maxExamples: 10,
  batch: 1000,
  concurrency: 4,
  chunkSize: 1000,
  maxInlineBytes: 1024 * 1024,
  rate: undefined,
  saveResult: true,
};
