import { messageOf } from '../errors.js';
import type { BatchContext, BatchCopier } from '../keys/batch-context.js';
import { copyStructBatch } from '../keys/struct-batch.js';
import { type KeyOutcome, Tally } from '../keys/tally.js';
import { BigKeys, bigBatchBytes, bigKeyCopier } from './big-keys.js';
import { type DirtyBatch, DirtyKeys } from './dirty-keys.js';
import type { RetryQueue } from './retry-queue.js';

/** A tally that also remembers which keys failed, and why, so each goes to the retry queue, and which are big. */
class KeyTally extends Tally {
  readonly failedKeys = new Map<string, string>();

  constructor(private readonly bigKeys: BigKeys) {
    super();
  }

  override add(key: Buffer, outcome: KeyOutcome): void {
    super.add(key, outcome);
    if (outcome.kind === 'failed') this.failedKeys.set(key.toString('latin1'), outcome.reason);
    else if (outcome.kind === 'copied') this.bigKeys.note(key, outcome.bytes);
  }
}

/** Big keys copied at once, beside (never instead of) the batches of small keys. */
const bigKeyLanes = 2;

export interface ApplierLimits {
  /** Keys per copy call. */
  batch: number;
  /** Copy calls in flight. */
  concurrency: number;
}

/**
 * Applies changed keys to the target by re-copying them from the source's current state
 * (docs/invariants.md #2), in batches per source node, a bounded number at once, one copy per key at a time
 * (docs/invariants.md #3). Keys seen to be big go in their own lane, one per copy (src/sync/big-keys.ts), so a
 * hot big key never holds back small ones. Failed keys go to the retry queue; due retries come back through
 * the same dirty set.
 */
export class ChangeApplier {
  private readonly bigKeys = new BigKeys();
  readonly dirty = new DirtyKeys((id) => this.bigKeys.bytes(id));
  /** Keys applied (copied, or deleted because the source no longer holds them). */
  applied = 0;
  private readonly running = { small: 0, big: 0 };
  private readonly copyBig: BatchCopier;
  private live = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly context: BatchContext,
    private readonly queue: RetryQueue,
    private readonly nodeOf: (key: Buffer) => string,
    private readonly limits: ApplierLimits,
    /** Decides, as a key's copy starts, whether it is still this applier's to copy (the stage may have moved). */
    private readonly admit: (key: Buffer) => boolean = () => true,
  ) {
    this.copyBig = bigKeyCopier(context);
  }

  mark(key: Buffer, since?: number): void {
    this.dirty.mark(key, since);
    this.pump();
  }

  /** Starts applying; until then changes only accumulate (the initial copy must not race them). */
  start(): void {
    this.live = true;
    this.pump();
  }

  /** Moves retries that are due (or all of them) back into the dirty set. */
  retryDue(all = false): void {
    for (const entry of this.queue.takeDue(Date.now(), all)) this.dirty.mark(entry.key, entry.since);
    this.pump();
  }

  /** Gives every dead letter one more try (at start, and when the target answers again after an outage). */
  retryDeadLetters(): void {
    for (const key of this.queue.deadKeys()) this.dirty.mark(key);
    this.pump();
  }

  /** Age of the oldest change not yet applied, retries included. */
  lagMs(now = Date.now()): number {
    const a = this.dirty.oldestSince();
    const b = this.queue.oldestSince();
    const oldest = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    return oldest === undefined ? 0 : Math.max(0, now - oldest);
  }

  /** Resolves once nothing is dirty or in flight (or at once when `onlyInFlight` and no copy runs). */
  async settled(onlyInFlight = false): Promise<void> {
    while (this.running.small + this.running.big > 0 || (!onlyInFlight && this.dirty.size > 0)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private pump(): void {
    if (!this.live) return;
    while (this.running.small < this.limits.concurrency) {
      const batch = this.dirty.take(this.limits.batch, this.nodeOf);
      if (!batch) break;
      this.launch(batch, 'small');
    }
    while (this.running.big < bigKeyLanes) {
      const batch = this.dirty.takeBig(bigBatchBytes, this.nodeOf);
      if (!batch) break;
      this.launch(batch, 'big');
    }
  }

  private launch(batch: DirtyBatch, lane: 'small' | 'big'): void {
    this.running[lane]++;
    void this.copy(batch, lane === 'big' ? this.copyBig : copyStructBatch).finally(() => {
      this.running[lane]--;
      this.dirty.settle(batch);
      this.pump();
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  private async copy(batch: DirtyBatch, copier: BatchCopier): Promise<void> {
    const tally = new KeyTally(this.bigKeys);
    const entries = batch.keys.filter((entry) => {
      if (this.admit(entry.key)) return true;
      this.queue.succeeded(entry.key); // not ours any more: nothing left to retry
      return false;
    });
    if (entries.length === 0) return;
    const keys = entries.map((entry) => entry.key);
    try {
      // Keys gone from the source are deleted on the target by the copier; a refused delete comes back as failed.
      await copier(this.context, batch.node, keys, tally);
    } catch (error) {
      for (const key of keys)
        tally.failedKeys.set(key.toString('latin1'), `copy failed: ${messageOf(error)}`);
    }
    for (const entry of entries) {
      const reason = tally.failedKeys.get(entry.key.toString('latin1'));
      if (reason === undefined) {
        this.queue.succeeded(entry.key);
        this.applied++;
      } else this.queue.failed(entry.key, entry.since, reason);
    }
  }
}
