import { repairSetKey } from '../control/names.js';
import { processIdentity, publishStatus, type SyncStage, type SyncStatus } from '../control/sync-status.js';
import type { MigrateError } from '../errors.js';
import type { CopyPassReport } from '../keys/copy-pass.js';
import { estimateCostUsd } from '../keys/cost.js';
import { refuseSameServer } from '../keys/preflight.js';
import { IoredisPort } from '../redis/ioredis-port.js';
import { keyRulesOf, probeKeyRules } from '../redis/key-rules.js';
import { ensureNotifications } from '../redis/notifications.js';
import { sendsKeyEvents } from '../redis/notifications-probe.js';
import { asArray, cmd, type RedisPort } from '../redis/port.js';
import { sendReadOnlyScripts } from '../redis/script-runner.js';
import { sleep } from '../retry.js';
import { FeedRouter } from './feed-router.js';
import { requireNotifications } from './notify-check.js';
import type { SyncOptions } from './options.js';
import type { DeadLetter } from './retry-queue.js';
import { StageFollower } from './stage-follower.js';
import { type LegHooks, SyncLeg } from './sync-leg.js';

export { syncFingerprint } from './sync-fingerprint.js';

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
  initialCopy: CopyPassReport | undefined;
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

/** Above this many dirty keys a reconciliation scan waits, keeping memory bounded (docs/invariants.md #1). */
const maxDirtyWhileScanning = 50_000;
const retryTickMs = 100;
const drainPauseMs = 100;
/** While a switch of the primary is fenced, the status goes out this often: the switch waits for it. */
const fencedStatusEveryMs = 100;
/** Keys taken from the clients' repair set per status tick. */
const repairsPerTick = 500;

/**
 * Live sync: subscribes to the source's keyevent notifications first, then copies everything (copy engine), then
 * re-copies each changed key until stopped. It follows the stage record: each key is copied from its bucket's
 * primary, so once buckets move to the target (live and after) their changes flow back to the source through the
 * target's own notifications, where it has them (src/sync/sync-leg.ts, feed-router.ts). Gaps in a feed and
 * restarts of the written side trigger a reconciliation pass; failed keys go to a durable retry queue. Returns when
 * the signal aborts (after draining) or on a fatal error.
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
  // Once, before any script call: how each end takes a call's keys (ElastiCache Serverless wants them declared).
  await Promise.all([probeKeyRules(target), probeKeyRules(source)]);
  await requireNotifications(source, options.configureNotifications);
  // A sync outlives outages (failover, maintenance): what fails meanwhile waits in the retry queue, so the
  // connections must come back whenever the servers do, never close for good and burn the queue into dead letters.
  source.keepReconnecting();
  target.keepReconnecting();
  // A window switch may pause either side's writes (CLIENT PAUSE … WRITE): the sync's reads must get through.
  for (const port of [source, target]) if (port instanceof IoredisPort) sendReadOnlyScripts(port);

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) stop.abort();
  let fatal: MigrateError | undefined;
  const counters = { gaps: 0, reconciliations: 0, initialScanned: 0, lastGapAt: 0 };
  let wake: (() => void) | undefined;
  const hooks: LegHooks = {
    onFatal(error) {
      fatal ??= error;
      stop.abort();
    },
    onGap() {
      counters.gaps++;
      counters.lastGapAt = Date.now();
      wake?.();
    },
  };
  const router = new FeedRouter();
  const legs = {
    source: new SyncLeg({ side: 'source', from: source, to: target }, options, router, hooks),
    target: new SyncLeg({ side: 'target', from: target, to: source }, options, router, hooks),
  };
  const both = [legs.source, legs.target];
  // The reverse leg only runs where the target tells its changes; elsewhere clients' mirrors and the rollback
  // catch-up carry the target's writes back.
  const targetNotifies = await targetSendsEvents(target);
  const active = () => both.filter((leg) => leg.side === 'source' || leg.feedOpen);

  let stage: SyncStage = 'subscribing';
  const identity = processIdentity();
  const startedAt = new Date(started).toISOString();
  let last = { at: started, events: 0, applied: 0 };
  const sum = (of: (leg: SyncLeg) => number) => both.reduce((n, leg) => n + of(leg), 0);
  /** The running figures; `advance` starts a new interval for the per-second rates (the periodic tick does). */
  const status = (advance = false): SyncStatus => {
    const now = Date.now();
    const seconds = Math.max((now - last.at) / 1000, 0.001);
    const events = sum((leg) => leg.events);
    const applied = sum((leg) => leg.applier.applied);
    const figures: SyncStatus = {
      stage,
      lagMs: Math.max(...both.map((leg) => leg.applier.lagMs(now))),
      eventsPerSec: Math.round((events - last.events) / seconds),
      appliedPerSec: Math.round((applied - last.applied) / seconds),
      events,
      applied,
      queueDepth: sum((leg) => leg.pending),
      retryQueue: sum((leg) => leg.queue.size),
      deadLetters: sum((leg) => leg.queue.deadCount),
      gaps: counters.gaps,
      reconciliations: counters.reconciliations,
      initialCopyScanned: counters.initialScanned,
      startedAt,
      heartbeatAt: new Date(now).toISOString(),
      ...identity,
      epoch: router.epoch,
      direction: router.direction(),
      feeds: { source: legs.source.feedOpen, target: legs.target.feedOpen },
      parked: sum((leg) => leg.parkedCount),
      ...(counters.lastGapAt > 0 ? { lastGapAt: new Date(counters.lastGapAt).toISOString() } : {}),
    };
    if (advance) last = { at: now, events, applied };
    return figures;
  };
  let publishing = false;
  const publish = async (figures = status()) => {
    if (publishing) return;
    publishing = true;
    try {
      if (options.statusKey) await publishStatus(target, options.statusKey, figures).catch(() => {});
    } finally {
      publishing = false;
    }
  };
  let ticking = false;
  // Reporting never waits for the target: while it is down, onStatus still runs and the publish is skipped.
  const tick = async () => {
    const figures = status(true);
    run.onStatus?.(figures);
    if (ticking) return;
    ticking = true;
    try {
      // The probes run beside the record read and the publish, never behind them: while the target is cut off
      // those wait on its reconnects, and a probe that never saw the outage could not notice the target back.
      await Promise.all([
        follower.refresh().then(() => publish(figures)),
        ...active().map((leg) => leg.probe()),
      ]);
      await takeRepairs(target, router, legs).catch(() => {});
    } finally {
      ticking = false;
    }
  };
  const follower = new StageFollower({ source, target }, router, async () => {
    // A bucket about to move to the target needs the target's feed before any write can land there.
    if (router.needsFeed('target') && targetNotifies && !legs.target.feedOpen) await legs.target.openFeed();
    for (const leg of both) leg.release();
    await publish();
  });

  await follower.start();
  await legs.source.openFeed();
  if (router.needsFeed('target') && targetNotifies) await legs.target.openFeed();
  await Promise.all(both.map((leg) => leg.probe()));
  const statusTimer = setInterval(() => void tick(), options.statusEveryMs);
  const fencedTimer = setInterval(() => {
    if (router.fenced) void publish();
  }, fencedStatusEveryMs);
  const retryTimer = setInterval(() => {
    for (const leg of both) leg.applier.retryDue();
  }, retryTickMs);
  let initialCopy: CopyPassReport | undefined;
  try {
    if (!options.skipInitialCopy && !stop.signal.aborted) {
      stage = 'initial-copy';
      for (const leg of active()) {
        const report = await leg.initialCopy(stop.signal, (scanned) => {
          counters.initialScanned = scanned;
        });
        initialCopy ??= report;
        // The copy engine names failed keys only for display: a rescan puts them through the retry queue instead.
        if (report.failed > 0) leg.rescanWanted = true;
      }
    }
    for (const leg of both) {
      leg.applier.retryDeadLetters();
      leg.applier.start();
    }
    stage = 'streaming';
    const room = async () => {
      while (sum((leg) => leg.applier.dirty.size) > maxDirtyWhileScanning && !stop.signal.aborted)
        await sleep(20);
    };
    while (!stop.signal.aborted) {
      let reconciled = false;
      for (const leg of active()) {
        if (!leg.rescanWanted && !leg.orphansWanted) continue;
        stage = 'reconciling';
        counters.reconciliations++;
        reconciled = true;
        await leg.reconcile(stop.signal, room).catch(() => sleep(1000));
        stage = 'streaming';
      }
      if (reconciled) continue;
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
    follower.close();
    await Promise.all(both.map((leg) => leg.closeFeed()));
    await drain(both, Date.now() + (fatal ? 0 : options.drainTimeoutMs));
    clearInterval(statusTimer);
    clearInterval(fencedTimer);
    clearInterval(retryTimer);
    run.signal?.removeEventListener('abort', onAbort);
    stage = 'stopped';
    const final = status(true);
    run.onStatus?.(final);
    // The last word on the target says 'stopped', unless the target is unreachable (then status shows it stale).
    const giveUpAt = Date.now() + 2000;
    while ((publishing || ticking) && Date.now() < giveUpAt) await sleep(20);
    const key = options.statusKey;
    if (key && !publishing)
      await Promise.race([publishStatus(target, key, final).catch(() => {}), sleep(2000)]);
  }
  if (fatal) throw fatal;
  return {
    command: 'sync',
    drained: sum((leg) => leg.queue.size) === 0,
    initialCopy,
    events: sum((leg) => leg.events),
    applied: sum((leg) => leg.applier.applied),
    gaps: counters.gaps,
    reconciliations: counters.reconciliations,
    retryQueue: sum((leg) => leg.queue.size),
    deadLetters: both.flatMap((leg) => leg.queue.deadLetters()),
    sourceCommands: source.stats.commands - commandsBefore,
    estimatedCostUsd: estimateCostUsd(source.stats.commands - commandsBefore),
    durationMs: Date.now() - started,
    stateFile: legs.source.queue.file,
  };
}

/** The setting where CONFIG GET answers; else (ElastiCache) the events themselves, watched for a moment. */
async function targetSendsEvents(target: RedisPort): Promise<boolean> {
  // A target that wants keys declared is ElastiCache Serverless: no keyspace notifications, and no CONFIG to ask.
  if (keyRulesOf(target) === 'by-slot') return false;
  const report = await ensureNotifications(target, { consent: false }).catch(() => undefined);
  if (report?.ready) return true;
  const unreadable = report === undefined || report.nodes.some((node) => node.flags === undefined);
  if (!unreadable || !(target instanceof IoredisPort)) return false;
  return sendsKeyEvents(target).catch(() => false);
}

/** Applies what is still queued, bounded by the deadline; what remains is saved in the retry queues. */
async function drain(legs: SyncLeg[], deadline: number): Promise<void> {
  for (const leg of legs) leg.applier.start();
  let retriedAt = 0;
  while (Date.now() < deadline && legs.some((leg) => leg.pending > 0)) {
    // Queued retries are tried at once, then no faster than once a second (a down target must not burn them).
    if (Date.now() - retriedAt >= 1000) {
      for (const leg of legs) leg.applier.retryDue(true);
      retriedAt = Date.now();
    }
    await Promise.race([Promise.all(legs.map((leg) => leg.applier.settled())), sleep(drainPauseMs)]);
  }
  for (const leg of legs) {
    await leg.applier.settled(true);
    for (const entry of leg.applier.dirty.remaining()) leg.queue.park(entry.key, entry.since);
    leg.queue.persist();
  }
}

/**
 * Takes keys the clients could not mirror from `__migrate:repair` (on the target) into the retry queue of the leg
 * that copies their bucket, then removes them from the set: durable all along.
 */
async function takeRepairs(
  target: RedisPort,
  router: FeedRouter,
  legs: { source: SyncLeg; target: SyncLeg },
): Promise<void> {
  const [reply] = await target.exec([cmd('SSCAN', [repairSetKey, 0, 'COUNT', repairsPerTick], repairSetKey)]);
  const keys = asArray(asArray(reply)[1]).filter((key): key is Buffer => Buffer.isBuffer(key));
  if (keys.length === 0) return;
  for (const side of ['source', 'target'] as const) {
    const mine = keys.filter((key) => router.copierOf(key) === side);
    if (mine.length > 0) legs[side].takeRepairs(mine);
  }
  await target.exec([cmd('SREM', [repairSetKey, ...keys], repairSetKey)]);
}
