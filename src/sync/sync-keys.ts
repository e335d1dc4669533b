import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processIdentity, publishStatus, type SyncStage, type SyncStatus } from '../control/sync-status.js';
import type { BatchContext } from '../copy/batch-context.js';
import { copyKeys } from '../copy/copy-keys.js';
import { type CopyOptions, defaultCopyOptions } from '../copy/options.js';
import { fatalReplyError } from '../copy/outcome.js';
import { refuseSameServer } from '../copy/preflight.js';
import { type CopyReport, estimateCostUsd } from '../copy/report.js';
import { ExitCode, type MigrateError } from '../errors.js';
import { openChangeFeed } from '../redis/change-feed.js';
import type { RedisPort } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { isReserved } from '../redis/slot.js';
import { sleep } from '../retry.js';
import { ChangeApplier } from './change-applier.js';
import { globMatcher } from './glob.js';
import { nodeRouter } from './key-router.js';
import { requireNotifications } from './notify-check.js';
import type { SyncOptions } from './options.js';
import { findTargetOrphans, type ReconcileSink, rescanSource } from './reconcile.js';
import { type DeadLetter, RetryQueue } from './retry-queue.js';
import { TargetEpoch } from './target-epoch.js';

export interface SyncRun {
  /** Aborting stops the sync: no new events, in-flight copies finish, the queue drains (bounded), state is saved. */
  signal?: AbortSignal | undefined;
  /** Called every statusEveryMs with the running figures. */
  onStatus?: ((status: SyncStatus) => void) | undefined;
}

export interface SyncReport {
  command: 'sync';
  /** True when the stop applied everything seen (queue and retries empty). */
  drained: boolean;
  initialCopy: CopyReport | undefined;
  events: number;
  applied: number;
  gaps: number;
  reconciliations: number;
  /** Keys still queued at the stop (saved in stateFile, retried by the next run). */
  retryQueue: number;
  deadLetters: DeadLetter[];
  /** Commands sent to the source (initial copy included), as Upstash bills them, and their estimated cost. */
  sourceCommands: number;
  estimatedCostUsd: number;
  durationMs: number;
  stateFile: string;
}

/** Above this many dirty keys a reconciliation scan waits, keeping memory bounded (invariant 1). */
const maxDirtyWhileScanning = 50_000;
const retryTickMs = 100;
const drainPauseMs = 100;

/**
 * Live sync: subscribes to the source's keyevent notifications first, then copies everything (copy engine), then
 * re-copies each changed key until stopped. Gaps in the feed and target restarts trigger a reconciliation pass;
 * failed keys go to a durable retry queue. Returns when the signal aborts (after draining) or on a fatal error.
 */
export async function syncKeys(
  source: RedisPort,
  target: RedisPort,
  options: SyncOptions,
  run: SyncRun = {},
): Promise<SyncReport> {
  const started = Date.now();
  const commandsBefore = source.stats.commands;
  await refuseSameServer(source, target);
  await requireNotifications(source, options.configureNotifications);
  // A sync outlives outages (failover, maintenance): what fails meanwhile waits in the retry queue, so the
  // connections must come back whenever the servers do, never close for good and burn the queue into dead letters.
  source.keepReconnecting();
  target.keepReconnecting();
  const queue = new RetryQueue(options.stateDir, syncFingerprint(source.label, target.label, options.match), {
    maxRetries: options.maxRetries,
    baseMs: options.retryBaseMs,
    maxMs: options.retryMaxMs,
  });
  // A previous sync ran against this target: keys deleted on the source while it was down must go from the target.
  const resumed = existsSync(queue.file);
  queue.load();
  queue.persist();

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) stop.abort();
  let fatal: MigrateError | undefined;
  // Reads of changed keys and rescans share one budget; the initial copy, which runs before them, caps its own.
  const reads = options.rate ? rateLimited(source, options.rate) : source;
  const copyOptions: CopyOptions = {
    ...defaultCopyOptions,
    match: options.match,
    batch: options.batch,
    concurrency: options.concurrency,
    rate: options.rate,
    onConflict: 'replace',
    checkpointFile: join(options.stateDir, 'sync-copy-checkpoint.json'),
  };
  const context: BatchContext = {
    source: reads,
    target,
    options: { ...copyOptions, mode: 'struct' },
    typeFilter: '',
    stopIfFatal(error, role) {
      const found = fatalReplyError(error, role);
      // Out of memory is worth retrying (the operator can make room); bad credentials or a spent quota are not.
      if (!found || found.code === ExitCode.incomplete) return;
      fatal ??= found;
      stop.abort();
      throw found;
    },
  };
  const applier = new ChangeApplier(context, queue, nodeRouter(source), options);
  const matches = globMatcher(options.match);
  const counters = { events: 0, gaps: 0, reconciliations: 0, initialScanned: 0 };
  let stage: SyncStage = 'subscribing';
  let rescanWanted = false;
  let orphansWanted = resumed;
  let wake: (() => void) | undefined;
  const requestReconcile = () => {
    counters.gaps++;
    rescanWanted = true;
    orphansWanted = true;
    wake?.();
  };

  const identity = processIdentity();
  const startedAt = new Date(started).toISOString();
  let last = { at: started, events: 0, applied: 0 };
  const status = (): SyncStatus => {
    const now = Date.now();
    const seconds = Math.max((now - last.at) / 1000, 0.001);
    const figures: SyncStatus = {
      stage,
      lagMs: applier.lagMs(now),
      eventsPerSec: Math.round((counters.events - last.events) / seconds),
      appliedPerSec: Math.round((applier.applied - last.applied) / seconds),
      events: counters.events,
      applied: applier.applied,
      queueDepth: applier.dirty.size + queue.size,
      retryQueue: queue.size,
      deadLetters: queue.deadCount,
      gaps: counters.gaps,
      reconciliations: counters.reconciliations,
      initialCopyScanned: counters.initialScanned,
      startedAt,
      heartbeatAt: new Date(now).toISOString(),
      ...identity,
    };
    last = { at: now, events: counters.events, applied: applier.applied };
    return figures;
  };
  const epoch = new TargetEpoch(target);
  let publishing = false;
  // Reporting never waits for the target: while it is down, onStatus still runs and the publish is skipped.
  const tick = async () => {
    const figures = status();
    run.onStatus?.(figures);
    if (publishing) return;
    publishing = true;
    try {
      if (options.statusKey) await publishStatus(target, options.statusKey, figures).catch(() => {});
      const change = await epoch.probe();
      if (change === 'restarted') requestReconcile();
      // Back after an outage: what failed meanwhile is tried now, not after its backoff; dead letters once more.
      if (change !== undefined) {
        applier.retryDeadLetters();
        applier.retryDue(true);
      }
    } finally {
      publishing = false;
    }
  };

  const feed = await openChangeFeed(source, {
    onKey(key) {
      if (isReserved(key) || !matches(key)) return;
      counters.events++;
      applier.mark(key);
    },
    onGap: requestReconcile,
  });
  await epoch.probe();
  const statusTimer = setInterval(() => void tick(), options.statusEveryMs);
  const retryTimer = setInterval(() => applier.retryDue(), retryTickMs);
  let initialCopy: CopyReport | undefined;
  try {
    if (!options.skipInitialCopy && !stop.signal.aborted) {
      stage = 'initial-copy';
      initialCopy = await copyKeys(source, target, copyOptions, {
        signal: stop.signal,
        onProgress: (progress) => {
          counters.initialScanned = progress.counts.scanned;
        },
      });
      // The copy engine names failed keys only for display: a rescan puts them through the retry queue instead.
      if (initialCopy.failed > 0) rescanWanted = true;
    }
    applier.retryDeadLetters();
    applier.start();
    stage = 'streaming';
    const sink: ReconcileSink = {
      mark: (key) => applier.mark(key, Date.now()),
      room: async () => {
        while (applier.dirty.size > maxDirtyWhileScanning && !stop.signal.aborted) await sleep(20);
      },
      signal: stop.signal,
    };
    while (!stop.signal.aborted) {
      if (rescanWanted || orphansWanted) {
        const rescan: boolean = rescanWanted;
        const orphans: boolean = orphansWanted;
        rescanWanted = false;
        orphansWanted = false;
        stage = 'reconciling';
        counters.reconciliations++;
        try {
          if (rescan) await rescanSource(reads, options.match, sink);
          if (orphans) await findTargetOrphans(reads, target, options.match, sink);
        } catch {
          // An end was unreachable mid-pass: try the whole pass again shortly.
          rescanWanted ||= rescan;
          orphansWanted ||= orphans;
          await sleep(1000);
        }
        stage = 'streaming';
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1000);
        function done() {
          clearTimeout(timer);
          stop.signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        }
        wake = done;
        stop.signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    stage = 'draining';
    await feed.close();
    applier.start();
    const deadline = Date.now() + (fatal ? 0 : options.drainTimeoutMs);
    let retriedAt = 0;
    while (Date.now() < deadline && applier.dirty.size + queue.size > 0) {
      // Queued retries are tried at once, then no faster than once a second (a down target must not burn them).
      if (Date.now() - retriedAt >= 1000) {
        applier.retryDue(true);
        retriedAt = Date.now();
      }
      await Promise.race([applier.settled(), sleep(drainPauseMs)]);
    }
    await applier.settled(true);
    for (const entry of applier.dirty.remaining()) queue.park(entry.key, entry.since);
    queue.persist();
    clearInterval(statusTimer);
    clearInterval(retryTimer);
    run.signal?.removeEventListener('abort', onAbort);
    stage = 'stopped';
    const final = status();
    run.onStatus?.(final);
    // The last word on the target says 'stopped', unless the target is unreachable (then status shows it stale).
    const giveUpAt = Date.now() + 2000;
    while (publishing && Date.now() < giveUpAt) await sleep(20);
    const key = options.statusKey;
    if (key && !publishing)
      await Promise.race([publishStatus(target, key, final).catch(() => {}), sleep(2000)]);
  }
  if (fatal) throw fatal;
  return {
    command: 'sync',
    drained: queue.size === 0,
    initialCopy,
    events: counters.events,
    applied: applier.applied,
    gaps: counters.gaps,
    reconciliations: counters.reconciliations,
    retryQueue: queue.size,
    deadLetters: queue.deadLetters(),
    sourceCommands: source.stats.commands - commandsBefore,
    estimatedCostUsd: estimateCostUsd(source.stats.commands - commandsBefore),
    durationMs: Date.now() - started,
    stateFile: queue.file,
  };
}

export function syncFingerprint(source: string, target: string, match: string): string {
  return createHash('sha256')
    .update(JSON.stringify([source, target, match]))
    .digest('hex')
    .slice(0, 16);
}
