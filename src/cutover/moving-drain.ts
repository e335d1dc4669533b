/**
 * Bringing the moving buckets level on their new primary before it takes writes: the running sync's feed from the
 * old primary, or, without one, this command's own passes: a verify with repair while writes go on (before the
 * fence), then, once writes are held, a copy again of what that pass wrote (it may have raced a write) or a whole
 * second pass. The clients' repair set is copied last. Data-protecting: --force never skips it.
 */
import { otherSide, primaryMoves } from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { copyListedKeys } from '../keys/copy-listed.js';
import { slotOf } from '../redis/slot.js';
import { portOf, type SwitchContext, tell } from './context.js';
import { type SwitchStep, slotMoves } from './plan.js';
import { drainRepairSet } from './repair-set.js';
import { verifySides } from './verify-step.js';
import { waitForSyncDrain } from './waits.js';

export interface DrainReport {
  /** How the moving buckets were brought level: the running sync's feed, or copies made by this command. */
  by: 'sync' | 'copy';
  /** Keys a verify with repair re-copied before the fence (no feed from the old primary). */
  repairedBeforeFence: number;
  /** Keys copied again under the fence: those repaired before it, or the whole share when there were too many. */
  recopied: number;
  /** The whole moving share was verified and repaired under the fence. */
  fullPass: boolean;
  /** Keys from the clients' repair set copied under the fence. */
  repairSet: number;
  /** Keys the verify passes of this command compared, and how long they took (its catch-up speed). */
  keysCompared: number;
  passMs: number;
}

export class MovingDrain {
  readonly report: DrainReport;
  private readonly old: 'source' | 'target';
  private readonly listed = new Map<string, Buffer>();
  private overflow = false;
  private passed = false;

  constructor(
    private readonly context: SwitchContext,
    private readonly step: SwitchStep,
    private readonly feedOn: boolean,
  ) {
    this.old = step.oldPrimary ?? 'source';
    this.report = {
      by: feedOn ? 'sync' : 'copy',
      repairedBeforeFence: 0,
      recopied: 0,
      fullPass: false,
      repairSet: 0,
      keysCompared: 0,
      passMs: 0,
    };
  }

  /** Without a feed: verify and repair the moving buckets while writes go on, remembering what was repaired. */
  async beforeFence(): Promise<void> {
    if (this.feedOn) return;
    tell(
      this.context,
      'catch-up',
      `no change feed from the ${this.old}: verifying the moving buckets, repairing onto the ${otherSide(this.old)}`,
    );
    const report = await this.pass(true, (keys) => {
      for (const key of keys) {
        if (this.listed.size >= this.context.options.maxListedKeys) this.overflow = true;
        else this.listed.set(key.toString('latin1'), key);
      }
    });
    this.report.repairedBeforeFence = report.repaired;
    this.passed = true;
  }

  /** Writes are held: the sync drains, or the keys repaired before are copied again (or all verified again). */
  async underFence(fencedEpoch: number, deadline: number, wholePass: boolean): Promise<void> {
    const { context, old } = this;
    const from = portOf(context, old);
    const to = portOf(context, otherSide(old));
    if (this.feedOn) {
      tell(context, 'drain', 'waiting for the sync to apply every change');
      await waitForSyncDrain(context, fencedEpoch, deadline);
    } else if (wholePass || this.overflow || !this.passed) {
      tell(
        context,
        'drain',
        `verifying every key of the moving buckets, repairing onto the ${otherSide(old)}`,
      );
      await this.pass(false);
      this.report.fullPass = true;
    } else if (this.listed.size > 0) {
      // The pass before the fence raced live writes: what it wrote is copied again now that none can land.
      const tally = await copyListedKeys(from, to, [...this.listed.values()]);
      this.report.recopied = tally.counts.copied + tally.counts.expired;
      if (tally.counts.failed > 0) throw stillDifferent(tally.counts.failed, old);
    }
    const { step } = this;
    const repaired = await drainRepairSet(from, to, context.target, (slot) =>
      primaryMoves(step.from, step.to, slot % 100),
    );
    this.report.repairSet = repaired.copied;
    if (repaired.failed > 0) throw stillDifferent(repaired.failed, old);
  }

  /**
   * A verify of the moving buckets with repair onto the new primary, timed. While writes go on, a difference is
   * re-checked before it is repaired (it may be a write the feed is carrying); once they are held, it is not.
   */
  private async pass(writesGoOn: boolean, onRepaired?: (keys: Buffer[]) => void) {
    const { step } = this;
    const started = Date.now();
    const report = await verifySides(this.context, {
      from: this.old,
      mode: 'full',
      repair: true,
      keyFilter: (key) => slotMoves(step.from, step.to, slotOf(key)),
      onRepaired,
      recheck: writesGoOn,
    });
    this.report.keysCompared += report.checked;
    this.report.passMs += Date.now() - started;
    // While writes go on, a key the application keeps changing differs again right after its repair: it is listed
    // (onRepaired has every key found different) and copied again under the fence, where nothing changes it.
    if (report.interrupted || (!report.ok && !writesGoOn)) throw stillDifferent(report.remaining, this.old);
    return report;
  }
}

const stillDifferent = (count: number, old: string) =>
  new MigrateError(`${count} keys of the moving buckets could not be brought level from the ${old}`, {
    code: ExitCode.incomplete,
    hint: 'run `migrate verify --full` to see them, fix the cause, then run the command again',
  });
