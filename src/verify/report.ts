/** What verify found, as data: the JSON document, the text table and the tests all read this. */

import type { LastVerify } from '../control/last-verify.js';
import type { Problem } from '../keys/compare.js';

export type ProblemCounter =
  | 'missing'
  | 'extra'
  | 'typeMismatch'
  | 'valueMismatch'
  | 'ttlMismatch'
  | 'fieldTtlMismatch';

export const counterOf: Record<Problem, ProblemCounter> = {
  missing: 'missing',
  extra: 'extra',
  type: 'typeMismatch',
  value: 'valueMismatch',
  'ttl-lost': 'ttlMismatch',
  'ttl-added': 'ttlMismatch',
  'ttl-drift': 'ttlMismatch',
  'field-ttl-lost': 'fieldTtlMismatch',
  'field-ttl-added': 'fieldTtlMismatch',
  'field-ttl-drift': 'fieldTtlMismatch',
};

export interface VerifyExample {
  /** The key, printable (binary bytes escaped). */
  key: string;
  problem: Problem;
  /** What the source holds, shortened and printable; null when the key is absent there. */
  source: string | null;
  target: string | null;
  /** True when --repair made the target equal for this key. */
  repaired?: boolean;
}

export interface ProblemCounts {
  missing: number;
  extra: number;
  typeMismatch: number;
  valueMismatch: number;
  ttlMismatch: number;
  /** Hashes whose fields' expiries differ (a field's expiry lost, added, or off by more than the tolerance). */
  fieldTtlMismatch: number;
}

export const emptyProblemCounts = (): ProblemCounts => ({
  missing: 0,
  extra: 0,
  typeMismatch: 0,
  valueMismatch: 0,
  ttlMismatch: 0,
  fieldTtlMismatch: 0,
});

export interface SideCounts {
  /** DBSIZE summed over masters, minus keys in the reserved `__migrate:` namespace. */
  dbsize: number;
  /** Keys carrying a TTL (INFO keyspace `expires`), which explains count differences caused by expiry. */
  keysWithTtl: number;
  /** Reserved keys left out of `dbsize`. */
  reserved: number;
}

/** How the sample was drawn and what it can detect. */
export interface SampleInfo {
  method: 'randomkey' | 'reservoir' | 'all';
  /** Keys drawn (RANDOMKEY draws with replacement). */
  draws: number;
  /** Distinct keys compared. */
  distinct: number;
  explanation: string;
  /** Probability of finding at least one different key when a given share of keys differs: 1-(1-p)^n. */
  detection: Array<{ differingShare: number; probability: number }>;
}

export interface VerifyReport extends ProblemCounts {
  command: 'verify';
  /** True when no difference remains (after --repair, if given). */
  ok: boolean;
  mode: 'sample' | 'full';
  source: SideCounts;
  target: SideCounts;
  /** Source keys compared. */
  checked: number;
  /** Target keys scanned for `extra` (full mode). */
  targetScanned: number;
  /** Keys gone from the source (expired or deleted) before they could be compared: not differences. */
  vanished: number;
  /** Keys first seen different that became equal (or left the source) on a re-check: not differences. */
  rechecked: number;
  /** Keys skipped as live traffic (skipBusyKeys): different, their source value moving between looks. */
  busy: number;
  /** Keys found different that --repair made equal. */
  repaired: number;
  /** Differences still there at the end (after --repair). */
  remaining: number;
  /** Keys whose value could not be compared (a type this tool does not read); type and TTL still are. */
  unsupported: number;
  /**
   * Keys compared one by one because the digests of their batch differed (or their expiries did): a cost, not a
   * difference. Near 0 after a clean copy; high when live writes land during the run, or when the two servers
   * order or print values differently (then each such batch costs a second read on both sides).
   */
  comparedOneByOne: number;
  sourceCommands: number;
  sourceCommandsPerKey: number;
  estimatedCostUsd: number;
  examples: VerifyExample[];
  sample?: SampleInfo;
  keysPerSec: number;
  durationMs: number;
  /** True when the run was stopped (signal) before every key was compared. */
  interrupted: boolean;
}

/** The part of a report that is saved for `migrate status` and the cutover gates. */
export function lastVerifyOf(report: VerifyReport, at = new Date()): LastVerify {
  const { ok, mode, checked, missing, extra, typeMismatch, valueMismatch, ttlMismatch, repaired, remaining } =
    report;
  return {
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
    at: at.toISOString(),
    durationMs: report.durationMs,
  };
}
