import { otherSide, type Side } from '../control/stages.js';
import type { BatchContext } from '../keys/batch-context.js';
import { defaultKeyCopyOptions } from '../keys/options.js';
import { copyStructBatch } from '../keys/struct-batch.js';
import { type KeyOutcome, Tally } from '../keys/tally.js';
import { keyRulesOf, probeKeyRules } from '../redis/key-rules.js';
import type { RedisPort } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import { slotOf } from '../redis/slot.js';
import { LatencySample } from './latency-sample.js';
import { type MirrorEntry, MirrorQueue } from './mirror-queue.js';
import type { RepairLog } from './repair-log.js';
import type { Router } from './router.js';

export interface MirrorSettings {
  mirrorQueueLimit: number;
  mirrorBatch: number;
  mirrorLingerMs: number;
  mirrorAttempts: number;
}

/** Mirror batches in flight at once. */
const lanes = 2;
const backoff = (attempts: number): number => Math.min(100 * 2 ** (attempts - 1), 2000);

/** A tally that keeps which keys failed, so each is tried again. */
class FailedKeys extends Tally {
  readonly ids = new Set<string>();

  override add(key: Buffer, outcome: KeyOutcome): void {
    super.add(key, outcome);
    if (outcome.kind === 'failed') this.ids.add(key.toString('latin1'));
  }
}

/**
 * Re-copies written keys whole from the primary to the secondary (never replays commands), in batches: one read
 * script per batch on the primary (Upstash bills each), stamped writes on the secondary (src/keys/stamp.ts), so a
 * mirror racing another instance's mirror or a sync re-copy of the same key never leaves it stale. A batch waits up
 * to `mirrorLingerMs` for more keys. Failures are retried with backoff; a key that still fails, or finds the queue
 * full, is recorded for repair. Nothing here ever waits on the caller's path.
 */
export class Mirror {
  /** Keys copied to the secondary. */
  mirrored = 0;
  /** Copies that failed (each is retried). */
  failures = 0;
  /** Write-to-mirror delay of copied keys, ms. */
  readonly lag = new LatencySample();
  private readonly queue: MirrorQueue;
  private readonly contexts: Record<Side, BatchContext>;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private urgent = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly ports: Record<Side, RedisPort>,
    private readonly router: Router,
    private readonly repair: RepairLog,
    private readonly settings: MirrorSettings,
    /** False while a side's connection is down: its batches fail at once instead of queueing. */
    private readonly ready: (side: Side) => boolean,
  ) {
    this.queue = new MirrorQueue(settings.mirrorQueueLimit);
    const context = (from: Side): BatchContext => ({
      source: ports[from],
      target: ports[otherSide(from)],
      options: { ...defaultKeyCopyOptions, onConflict: 'replace' },
      typeFilter: '',
      stamped: true,
      stopIfFatal: () => {},
    });
    this.contexts = { source: context('source'), target: context('target') };
  }

  /** Keys waiting to be mirrored. */
  get depth(): number {
    return this.queue.size;
  }

  /** True while `key` waits to be mirrored or is being copied. */
  pending(key: Buffer): boolean {
    return this.queue.has(key);
  }

  /** Queues keys just written on `from` (the primary); a key that finds no room is recorded for repair. */
  mark(keys: ReadonlyArray<Buffer | string>, from: Side): void {
    if (this.closed) return;
    const now = Date.now();
    const full: Buffer[] = [];
    for (const key of keys) {
      if (!this.queue.mark(key, from, now)) full.push(typeof key === 'string' ? Buffer.from(key) : key);
    }
    if (full.length > 0) this.repair.add(full);
    this.schedule(this.settings.mirrorLingerMs, now);
  }

  /** Resolves once every key queued so far is mirrored or recorded for repair (batches go without lingering). */
  async drained(): Promise<void> {
    this.urgent++;
    try {
      this.pump();
      while (this.queue.size > 0 && !this.closed) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
      await this.repair.settled();
    } finally {
      this.urgent--;
    }
  }

  /** Stops mirroring; what was not mirrored is recorded for repair. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    const left = this.queue.remaining();
    if (left.length > 0) this.repair.add(left.map((entry) => entry.key));
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private schedule(delayMs: number, now = Date.now()): void {
    const at = now + delayMs;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delayMs);
  }

  private pump(): void {
    while (!this.closed && this.running < lanes) {
      const now = Date.now();
      const oldest = this.queue.oldestQueuedAt();
      if (oldest === undefined) break;
      const waited = now - oldest;
      // A batch is read when it is full or its oldest key has waited long enough: fewer billed reads per write.
      if (
        !this.urgent &&
        this.queue.waitingCount < this.settings.mirrorBatch &&
        waited < this.settings.mirrorLingerMs
      ) {
        this.schedule(this.settings.mirrorLingerMs - waited);
        break;
      }
      const batch = this.queue.take(this.settings.mirrorBatch, (entry) => this.laneOf(entry), now);
      if (batch.length === 0) {
        const due = this.queue.nextDue();
        if (due !== undefined) this.schedule(Math.max(1, due - now));
        break;
      }
      this.running++;
      void this.copy(batch).finally(() => {
        this.running--;
        this.pump();
        for (const wake of this.idleWaiters.splice(0)) wake();
      });
    }
  }

  /**
   * One read per script call the primary takes (callGroups: per node, or per slot where the server wants keys
   * declared, src/redis/key-rules.ts). What each side wants is learnt once per port, before its first batch.
   */
  private async groups(from: Side, keys: Buffer[]): Promise<Array<[node: string, keys: Buffer[]]>> {
    const port = this.ports[from];
    await Promise.all([probeKeyRules(port), probeKeyRules(this.ports[otherSide(from)])]);
    return callGroups(port, keys).map(({ node, indexes }) => [node, indexes.map((i) => keys[i]!)]);
  }

  /** Keys copied together: same direction, and same primary node unless it wants calls per slot (grouped then). */
  private laneOf(entry: MirrorEntry): string {
    const port = this.ports[entry.from];
    if (port.topology === 'standalone') return entry.from; // one node, whatever its key rules
    return `${entry.from}|${keyRulesOf(port) === 'by-slot' ? 'by-slot' : port.nodeOf(entry.key)}`;
  }

  private async copy(batch: MirrorEntry[]): Promise<void> {
    const from = batch[0]!.from;
    // A key whose primary is no longer `from` (a switch passed while it waited) is not ours to copy: repair it.
    const uniform = this.router.uniform;
    const isStray = (entry: MirrorEntry) =>
      (uniform ?? this.router.route(slotOf(entry.key))).primary !== from;
    const stray = uniform?.primary === from ? [] : batch.filter(isStray);
    const strayIds = new Set(stray.map((entry) => entry.id));
    const keys = (stray.length === 0 ? batch : batch.filter((entry) => !strayIds.has(entry.id))).map(
      (entry) => entry.key,
    );
    const failed = new FailedKeys();
    if (!this.ready(from) || !this.ready(otherSide(from))) {
      // A side that is down fails the batch at once (its commands would only wait in ioredis's offline queue).
      for (const key of keys) failed.ids.add(key.toString('latin1'));
    } else {
      const groups = await this.groups(from, keys).catch(() => undefined);
      if (!groups) for (const key of keys) failed.ids.add(key.toString('latin1'));
      await Promise.all(
        (groups ?? []).map(([node, group]) =>
          copyStructBatch(this.contexts[from], node, group, failed).catch(() => {
            for (const key of group) failed.ids.add(key.toString('latin1'));
          }),
        ),
      );
    }
    this.failures += failed.ids.size;
    const now = Date.now();
    for (const entry of batch) {
      if (failed.ids.has(entry.id) || strayIds.has(entry.id)) continue;
      this.mirrored++;
      this.lag.add(now - entry.since);
    }
    const givenUp = [
      ...this.queue.settle(stray, strayIds, now, backoff, 1),
      ...this.queue.settle(
        batch.filter((entry) => !strayIds.has(entry.id)),
        failed.ids,
        now,
        backoff,
        this.settings.mirrorAttempts,
      ),
    ];
    if (givenUp.length > 0) this.repair.add(givenUp.map((entry) => entry.key));
  }
}
