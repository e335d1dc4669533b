import type { Problem } from '../keys/compare.js';
import { displayKey } from '../redis/display.js';
import type { Finding } from './compare-keys.js';
import { describeKeys } from './describe.js';
import type { VerifySides } from './read-both.js';
import { counterOf, emptyProblemCounts, type ProblemCounts, type VerifyExample } from './report.js';

/** Counts every problem found, keeps up to `maxExamples` examples per problem, and tracks what repair fixed. */
export class FindingLog {
  readonly counts: ProblemCounts = emptyProblemCounts();
  readonly examples: VerifyExample[] = [];
  repaired = 0;
  remaining = 0;
  private readonly perProblem = new Map<Problem, number>();

  constructor(private readonly maxExamples: number) {}

  /** Records findings and describes the ones that become examples (both sides read as they are now). */
  async record(sides: VerifySides, findings: Finding[]): Promise<Map<Finding, VerifyExample>> {
    const shown = new Map<Finding, VerifyExample>();
    const wanted: Finding[] = [];
    for (const finding of findings) {
      this.counts[counterOf[finding.problem]]++;
      const kept = this.perProblem.get(finding.problem) ?? 0;
      if (kept < this.maxExamples) {
        this.perProblem.set(finding.problem, kept + 1);
        wanted.push(finding);
      }
    }
    if (wanted.length === 0) return shown;
    const keys = wanted.map((f) => f.key);
    const [onSource, onTarget] = await Promise.all([
      describeKeys(sides.source, keys).catch(() => keys.map(() => null)),
      describeKeys(sides.target, keys).catch(() => keys.map(() => null)),
    ]);
    wanted.forEach((finding, i) => {
      const example: VerifyExample = {
        key: displayKey(finding.key),
        problem: finding.problem,
        source: finding.problem === 'extra' ? null : (onSource[i] ?? null),
        target: onTarget[i] ?? null,
      };
      this.examples.push(example);
      shown.set(finding, example);
    });
    return shown;
  }

  /** Marks the outcome of a repair: findings not in `remaining` were fixed. */
  repairedAll(findings: Finding[], remaining: Finding[], examples: Map<Finding, VerifyExample>): void {
    const left = new Set(remaining.map((f) => f.key.toString('latin1')));
    for (const finding of findings) {
      const fixed = !left.has(finding.key.toString('latin1'));
      if (fixed) this.repaired++;
      const example = examples.get(finding);
      if (example) example.repaired = fixed;
    }
    this.remaining += remaining.length;
  }

  /** Findings left as they are (no repair). */
  unrepaired(findings: Finding[]): void {
    this.remaining += findings.length;
  }
}
