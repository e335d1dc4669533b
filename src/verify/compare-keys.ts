import { classify, type KeyState, type Problem } from '../keys/compare.js';
import { sleep } from '../retry.js';
import { firstLook } from './quick-compare.js';
import { readBoth, type VerifySides } from './read-both.js';

/** A key that stayed different through every re-check. */
export interface Finding {
  key: Buffer;
  problem: Problem;
  /** Where the key lives on the source (for repair and examples). */
  sourceNode: string;
  source: KeyState;
  target: KeyState;
}

export interface CompareOutcome {
  checked: number;
  vanished: number;
  rechecked: number;
  /** Keys skipped as live traffic (options.skipBusyKeys): still different, their source value moving between looks. */
  busy: number;
  unsupported: number;
  oneByOne: number;
  findings: Finding[];
}

/**
 * Compares keys of one source node on both sides. A key found different is compared again after `recheckMs`, up
 * to `recheckAttempts` times, and only reported if it is still different every time: live traffic a sync has not
 * applied yet, or a key expiring mid-run, then resolves instead of raising a false alarm. A key written faster
 * than the sync's lag never resolves: with `skipBusyKeys`, one whose source value moved between two looks is counted
 * as busy instead.
 */
export async function compareKeys(
  sides: VerifySides,
  sourceNode: string,
  keys: Buffer[],
  signal?: AbortSignal,
): Promise<CompareOutcome> {
  const { options } = sides;
  const look = await firstLook(sides, keys);
  const outcome: CompareOutcome = {
    checked: look.checked,
    vanished: look.vanished,
    rechecked: 0,
    busy: 0,
    unsupported: look.unsupported,
    oneByOne: look.oneByOne,
    findings: [],
  };
  let suspects: Finding[] = look.differences.map((difference) => ({ ...difference, sourceNode }));
  for (let attempt = 0; attempt < options.recheckAttempts && suspects.length > 0; attempt++) {
    await sleep(options.recheckMs, signal);
    // Field expiries are read by the batch digest only: those suspects take the first look again.
    const byFields = suspects.filter((s) => s.problem.startsWith('field-'));
    const others = suspects.filter((s) => !s.problem.startsWith('field-'));
    const [again, fieldsAgain] = await Promise.all([
      readBoth(
        sides,
        others.map((s) => s.key),
      ),
      byFields.length > 0
        ? firstLook(
            sides,
            byFields.map((s) => s.key),
          )
        : undefined,
    ]);
    const still: Finding[] = [];
    const busyBefore = outcome.busy;
    others.forEach((suspect, i) => {
      const source = again.source[i]!;
      const target = again.target[i]!;
      const problem = classify(source, target, options.ttlToleranceMs);
      if (!problem) return;
      if (options.skipBusyKeys && classify(suspect.source, source, options.ttlToleranceMs)) outcome.busy++;
      else still.push({ ...suspect, problem, source, target });
    });
    for (const difference of fieldsAgain?.differences ?? []) still.push({ ...difference, sourceNode });
    outcome.rechecked += suspects.length - still.length - (outcome.busy - busyBefore);
    suspects = still;
  }
  outcome.findings = suspects;
  return outcome;
}
