/**
 * One direction of a sync: changes seen on one side (its keyspace notifications) re-copied to the other, for the
 * buckets whose primary that side is (FeedRouter). Its own dirty set, durable retry queue, reconciliation passes
 * and restart probe of the side it writes. A sync runs the source's leg always and the target's once some bucket's
 * primary is (or is about to be) the target, where the target has notifications.
 */
import { existsSync } from 'node:fs';
import type { Side } from '../control/stages.js';
import { ExitCode, type MigrateError } from '../errors.js';
import type { BatchContext } from '../keys/batch-context.js';
import { type CopyPassReport, copyPass } from '../keys/copy-pass.js';
import { defaultKeyCopyOptions } from '../keys/options.js';
import { fatalReplyError, throwIfFatal } from '../keys/outcome.js';
import { removeLeftoverTempKeys } from '../keys/preflight.js';
import { type ChangeFeed, openChangeFeed } from '../redis/change-feed.js';
import type { RedisPort } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { isReserved } from '../redis/slot.js';
import { ChangeApplier } from './change-applier.js';
import type { FeedRouter } from './feed-router.js';
import { globMatcher } from './glob.js';
import { nodeRouter } from './key-router.js';
import type { SyncOptions } from './options.js';
import { findTargetOrphans, type ReconcileSink, rescanSource } from './reconcile.js';
import { RetryQueue } from './retry-queue.js';
import { syncFingerprint } from './sync-fingerprint.js';
import { TargetEpoch } from './target-epoch.js';

export interface LegEnds {
  side: Side;
  /** The side changes are read from (unlimited: the change feed and the initial copy cap themselves). */
  from: RedisPort;
  to: RedisPort;
}

export interface LegHooks {
  /** A fatal reply (bad credentials, a spent quota): the whole sync stops. */
  onFatal(error: MigrateError): void;
  /** The feed had a gap, or the written side restarted: a reconciliation pass is due. */
  onGap(): void;
}

export class SyncLeg {
  readonly side: Side;
  readonly queue: RetryQueue;
  readonly applier: ChangeApplier;
  /** A previous sync ran: keys deleted while it was down must go from the other side. */
  readonly resumed: boolean;
  events = 0;
  rescanWanted = false;
  orphansWanted: boolean;
  private feed: ChangeFeed | undefined;
  private readonly parked = new Map<string, Buffer>();
  private readonly written: TargetEpoch;
  private readonly reads: RedisPort;
  private readonly matches: (key: Buffer) => boolean;

  constructor(
    private readonly ends: LegEnds,
    private readonly options: SyncOptions,
    private readonly router: FeedRouter,
    private readonly hooks: LegHooks,
  ) {
    this.side = ends.side;
    const { from, to } = ends;
    this.queue = new RetryQueue(
      options.stateDir,
      syncFingerprint(from.label, to.label, options.match),
      { maxRetries: options.maxRetries, baseMs: options.retryBaseMs, maxMs: options.retryMaxMs },
      this.side === 'source' ? 'sync-queue.json' : 'sync-queue-reverse.json',
    );
    this.resumed = existsSync(this.queue.file);
    this.queue.load();
    this.queue.persist();
    this.orphansWanted = this.resumed;
    // Reads of changed keys and rescans share one budget on the source; the initial copy caps its own.
    const rate = this.side === 'source' ? options.rate : undefined;
    this.reads = rate ? rateLimited(from, rate) : from;
    this.written = new TargetEpoch(to);
    this.matches = globMatcher(options.match);
    const context: BatchContext = {
      source: this.reads,
      target: to,
      options: defaultKeyCopyOptions,
      typeFilter: '',
      // Client mirrors and the rollback catch-up may copy the same keys meanwhile: never replace a newer copy.
      stamped: true,
      stopIfFatal(error, role) {
        const found = fatalReplyError(error, role);
        // Out of memory is worth retrying (the operator can make room); bad credentials or a spent quota are not.
        if (!found || found.code === ExitCode.incomplete) return;
        hooks.onFatal(found);
        throw found;
      },
    };
    this.applier = new ChangeApplier(context, this.queue, nodeRouter(from), options, (key) =>
      this.admit(key),
    );
  }

  get feedOpen(): boolean {
    return this.feed !== undefined;
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  /** Subscribes to the read side's changes; resolves once every master's subscription is active. */
  async openFeed(): Promise<void> {
    this.feed ??= await openChangeFeed(this.ends.from, {
      onKey: (key) => {
        if (isReserved(key) || !this.matches(key)) return;
        this.events++;
        this.mark(key);
      },
      onGap: () => this.gap(),
    });
  }

  async closeFeed(): Promise<void> {
    await this.feed?.close();
    this.feed = undefined;
  }

  /** A changed key: copied if its bucket's primary is this side, parked while its bucket moves, else dropped. */
  mark(key: Buffer, since?: number): void {
    const decision = this.router.decide(this.side, key);
    if (decision === 'copy') this.applier.mark(key, since);
    else if (decision === 'park') this.parked.set(key.toString('latin1'), key);
  }

  private admit(key: Buffer): boolean {
    const decision = this.router.decide(this.side, key);
    if (decision === 'park') this.parked.set(key.toString('latin1'), key);
    return decision === 'copy';
  }

  /** The stage moved: parked keys are decided again. */
  release(): void {
    const keys = [...this.parked.values()];
    this.parked.clear();
    for (const key of keys) this.mark(key);
  }

  gap(): void {
    this.rescanWanted = true;
    this.orphansWanted = true;
    this.hooks.onGap();
  }

  /** Every matching key whose bucket this side feeds, copied once (the kit's pass: sync's initial copy). */
  async initialCopy(signal: AbortSignal, onScanned: (scanned: number) => void): Promise<CopyPassReport> {
    const { to } = this.ends;
    await removeLeftoverTempKeys(to);
    // The initial copy shares the source's budget with the reads of changed keys.
    return copyPass(
      {
        source: this.reads,
        target: to,
        options: defaultKeyCopyOptions,
        typeFilter: '',
        stopIfFatal: throwIfFatal,
      },
      {
        match: this.options.match,
        batch: this.options.batch,
        concurrency: this.options.concurrency,
        mode: 'auto',
        keyFilter: (key) => this.router.decide(this.side, key) === 'copy',
      },
      { signal, onBatch: (counts) => onScanned(counts.scanned) },
    );
  }

  /** A pending reconciliation pass (rescan of the read side, then orphans on the written side); false: none due. */
  async reconcile(signal: AbortSignal, room: () => Promise<void>): Promise<boolean> {
    const rescan = this.rescanWanted;
    const orphans = this.orphansWanted;
    if (!rescan && !orphans) return false;
    this.rescanWanted = false;
    this.orphansWanted = false;
    const sink: ReconcileSink = { mark: (key) => this.mark(key, Date.now()), room, signal };
    try {
      if (rescan) await rescanSource(this.reads, this.options.match, sink);
      if (orphans) await findTargetOrphans(this.reads, this.ends.to, this.options.match, sink);
    } catch (error) {
      // An end was unreachable mid-pass: the whole pass is tried again shortly.
      this.rescanWanted ||= rescan;
      this.orphansWanted ||= orphans;
      throw error;
    }
    return true;
  }

  /** Notices a restart of the written side (it may have lost writes) and a return after an outage. */
  async probe(): Promise<void> {
    const change = await this.written.probe();
    if (change === 'restarted') this.gap();
    // Back after an outage: what failed meanwhile is tried now, not after its backoff; dead letters once more.
    if (change !== undefined) {
      this.applier.retryDeadLetters();
      this.applier.retryDue(true);
    }
  }

  /** Keys from the clients' repair set: made durable in the retry queue (the caller then removes them). */
  takeRepairs(keys: Buffer[]): void {
    const now = Date.now();
    for (const key of keys) this.queue.park(key, now, 'from the clients’ repair set');
    this.queue.persist();
    this.applier.retryDue();
  }

  /** Changes seen but not applied, retries included (parked keys are not lag: they wait for a fence). */
  get pending(): number {
    return this.applier.dirty.size + this.queue.size;
  }
}
