import { displayKey } from '../redis/display.js';

/** Every key is accounted for in exactly one of these (docs/invariants.md #7). */
export interface CopyCounts {
  scanned: number;
  copied: number;
  skipped: number;
  /** Expired or deleted on the source after SCAN found it: nothing to copy. */
  expired: number;
  failed: number;
  /** Value bytes written to the target. */
  bytes: number;
}

export const emptyCounts = (): CopyCounts => ({
  scanned: 0,
  copied: 0,
  skipped: 0,
  expired: 0,
  failed: 0,
  bytes: 0,
});

export function addCounts(into: CopyCounts, from: CopyCounts): void {
  into.scanned += from.scanned;
  into.copied += from.copied;
  into.skipped += from.skipped;
  into.expired += from.expired;
  into.failed += from.failed;
  into.bytes += from.bytes;
}

export interface KeyFailure {
  key: string;
  reason: string;
}

/** A hash whose field expiries the --field-ttl policy gave up: dropped, or their fields left out. */
export interface KeyFieldTtls {
  key: string;
  fields: number;
}

export type KeyOutcome =
  | { kind: 'copied'; bytes: number }
  | { kind: 'skipped' | 'expired' }
  | { kind: 'failed'; reason: string };

/** Tallies outcomes of one batch. */
export class Tally {
  readonly counts = emptyCounts();
  readonly failures: KeyFailure[] = [];
  readonly fieldTtlsGivenUp: KeyFieldTtls[] = [];

  /** Notes a key whose field expiries were given up (it is still tallied by its write's outcome). */
  gaveUpFieldTtls(key: Buffer, fields: number): void {
    if (fields > 0) this.fieldTtlsGivenUp.push({ key: displayKey(key), fields });
  }

  add(key: Buffer, outcome: KeyOutcome): void {
    switch (outcome.kind) {
      case 'copied':
        this.counts.copied++;
        this.counts.bytes += outcome.bytes;
        break;
      case 'failed':
        this.counts.failed++;
        this.failures.push({ key: displayKey(key), reason: outcome.reason });
        break;
      default:
        this.counts[outcome.kind]++;
    }
  }
}
