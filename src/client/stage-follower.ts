import type { Cluster, Redis } from 'ioredis';
import { stageChannel } from '../control/names.js';
import { readStageHistory, readStageRecord, type StageRecord } from '../control/stage-record.js';
import type { Placement, Side } from '../control/stages.js';
import type { RedisPort } from '../redis/port.js';
import type { SideConnections } from './endpoints.js';
import type { Router } from './router.js';

export interface FollowerHooks {
  /** The routing changed: move blocked commands and subscriptions whose server changed. */
  rerouted(): void;
  /** Before a fenced epoch is acknowledged: mirrors drained, scripts loaded where the primary goes. */
  beforeFenceAck(from: Placement, to: Placement): Promise<void>;
  /** Commands sent to the servers and not yet answered, right now (those of the old routing, at a change). */
  sentBefore(): Promise<unknown>;
  /** An epoch is applied (and, when fenced, its writes held): publish the heartbeat at once. */
  acknowledged(record: StageRecord): void;
}

export interface FollowerSettings {
  pollMs: number;
  leaseMs: number;
}

/** How long one read of the stage record may take on one server before that server counts as not answering. */
const readTimeoutMs = 1000;

/**
 * Follows the stage record (src/control/stages.ts, and the switch in docs/cutover.md): reads it at start from whichever server
 * answers (the higher epoch wins), listens on `__migrate:stage` on both, and reads it every second as a safety net.
 * A new epoch changes the routing at once for new commands and is acknowledged once the commands of the old routing
 * have finished; a fenced one first routes by the placement from before, holds writes to the slots whose primary
 * moves, drains the mirror and then acknowledges. Without a readable record for a lease, writes are held.
 */
export class StageFollower {
  /** The record last applied and acknowledged. */
  acked: StageRecord | undefined;
  private latest: StageRecord | undefined;
  private lastReadAt = 0;
  private applying = false;
  private giveWay: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly subscribers: Array<Redis | Cluster> = [];
  private stopped = false;

  constructor(
    private readonly sides: Record<Side, SideConnections>,
    private readonly router: Router,
    private readonly hooks: FollowerHooks,
    private readonly settings: FollowerSettings,
  ) {}

  async start(): Promise<void> {
    for (const side of ['source', 'target'] as const) this.listen(side);
    this.poll = setInterval(() => void this.refresh(), this.settings.pollMs);
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    this.giveWay?.();
    for (const subscriber of this.subscribers) subscriber.disconnect();
  }

  /** Reads the record now (on a published epoch, on the poll); applies it when its epoch is new. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const reading = await readStageRecord({
      source: bounded(this.sides.source.port),
      target: bounded(this.sides.target.port),
    });
    const answered = [reading.source, reading.target].some(
      (side) => side !== undefined && !(side instanceof Error),
    );
    if (!answered) {
      if (this.lastReadAt > 0 && Date.now() - this.lastReadAt > this.settings.leaseMs)
        this.router.holdWrites(true);
      return;
    }
    this.lastReadAt = Date.now();
    this.router.holdWrites(false);
    if (this.latest === undefined || reading.record.epoch > this.latest.epoch) {
      this.latest = reading.record;
      void this.follow();
    }
  }

  private listen(side: Side): void {
    const subscriber = this.sides[side].port.client.duplicate();
    subscriber.on('error', () => {}); // the poll covers a lost channel
    subscriber.on('message', (channel: string) => {
      if (channel === stageChannel) void this.refresh();
    });
    subscriber.subscribe(stageChannel).catch(() => {});
    this.subscribers.push(subscriber);
  }

  private async follow(): Promise<void> {
    if (this.applying) {
      this.giveWay?.(); // a newer record: the one being applied stops waiting
      return;
    }
    this.applying = true;
    try {
      while (!this.stopped && this.latest && this.latest.epoch !== this.acked?.epoch) {
        await this.apply(this.latest);
      }
    } finally {
      this.applying = false;
    }
  }

  private async apply(record: StageRecord): Promise<void> {
    const newer = new Promise<true>((resolve) => {
      this.giveWay = () => resolve(true);
    });
    const supersededBy = (work: Promise<unknown>) => Promise.race([work.then(() => false), newer]);
    const current = this.router.current;
    if (record.fenced) {
      const from = current?.placement ?? (await this.placementBefore(record));
      this.router.set({
        epoch: record.epoch,
        placement: from ?? record,
        fencedTo: record,
        holdAllWrites: from === undefined,
      });
      this.hooks.rerouted();
      if (await supersededBy(this.oldRoutingDone())) return;
      if (from && (await supersededBy(this.hooks.beforeFenceAck(from, record)))) return;
    } else {
      this.router.set({ epoch: record.epoch, placement: record, fencedTo: undefined });
      this.hooks.rerouted();
      if (await supersededBy(this.oldRoutingDone())) return;
    }
    if (this.stopped || this.latest?.epoch !== record.epoch) return;
    this.acked = record;
    this.hooks.acknowledged(record);
  }

  /** Commands of the old routing: those counted by the router, and those sent straight on (a passive stage). */
  private oldRoutingDone(): Promise<unknown> {
    return Promise.all([this.router.drained(), this.hooks.sentBefore()]);
  }

  /** For a client that starts during a fence: the placement the switch comes from, per the last history entry. */
  private async placementBefore(record: StageRecord): Promise<Placement | undefined> {
    for (const side of ['target', 'source'] as const) {
      const history = await readStageHistory(bounded(this.sides[side].port), 1).catch(() => []);
      const last = history.at(-1);
      if (last?.epoch === record.epoch && !last.from.fenced) return last.from;
    }
    return undefined;
  }
}

/** The port with every exec bounded in time: a frozen server must not hold up reading the record from the other. */
function bounded(port: RedisPort): RedisPort {
  const timed: RedisPort = Object.create(port);
  timed.exec = (commands, node) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${readTimeoutMs} ms`)),
        readTimeoutMs,
      );
      port
        .exec(commands, node)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  return timed;
}
