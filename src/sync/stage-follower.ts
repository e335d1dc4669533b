/**
 * Keeps a sync's FeedRouter on the current stage record: read from both servers at start and on every PUBLISH of a
 * new epoch on `__migrate:stage` (subscribed on the target), and from the target on every status tick (pub/sub is
 * at most once; the target is written first, so it holds the newest epoch, and reads of it are not billed).
 */
import { stageChannel } from '../control/names.js';
import { readStageHistory, readStageRecord } from '../control/stage-record.js';
import type { Placement } from '../control/stages.js';
import { IoredisPort } from '../redis/ioredis-port.js';
import type { RedisPort } from '../redis/port.js';
import type { FeedRouter } from './feed-router.js';

export class StageFollower {
  private subscriber: { disconnect(): void } | undefined;
  private seen = { epoch: -1, fenced: false };
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly ends: { source: RedisPort; target: RedisPort },
    private readonly router: FeedRouter,
    /** Runs after the router moved to a new record (and before the next refresh starts). */
    private readonly onChange: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.refresh(true);
    const target = this.ends.target;
    if (!(target instanceof IoredisPort)) return;
    const subscriber = target.client.duplicate();
    subscriber.on('error', () => {}); // a lost subscription is covered by the refresh on each tick
    subscriber.on('message', () => void this.refresh(true));
    await subscriber.subscribe(stageChannel);
    this.subscriber = subscriber;
  }

  /** Reads the record again (from both servers, or the target only); one read at a time. */
  refresh(both = false): Promise<void> {
    this.running = this.running.then(() => this.read(both)).catch(() => {});
    return this.running;
  }

  private async read(both: boolean): Promise<void> {
    const { record } = await readStageRecord(both ? this.ends : { target: this.ends.target });
    // Epochs only grow: a lower one is a server that lost its record (a restart without persistence), not news.
    if (record.epoch < this.seen.epoch) return;
    if (record.epoch === this.seen.epoch && record.fenced === this.seen.fenced) return;
    let before: Placement | undefined;
    if (record.fenced) {
      const [last] = await readStageHistory(this.ends.target, 1);
      if (last?.epoch === record.epoch) before = { stage: last.from.stage, percent: last.from.percent };
    }
    this.router.update(record, before);
    this.seen = { epoch: record.epoch, fenced: record.fenced };
    await this.onChange();
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
