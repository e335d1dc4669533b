/**
 * Which way each changed key is copied under the stage record: from its bucket's primary to the other side, never
 * the other way (a copy from the secondary would overwrite a newer write on the primary). While a switch of the
 * primary is fenced, the moving buckets are still copied from their old primary (that is the drain the switch waits
 * for), and changes seen on their new primary are parked until the fence lifts: then they are copied or dropped.
 */
import { initialRecord, type StageRecord } from '../control/stage-record.js';
import { type Placement, primaryMoves, routes, type Side, stageOfSlot } from '../control/stages.js';
import type { SyncDirection } from '../control/sync-status.js';
import { slotOf } from '../redis/slot.js';

export type FeedDecision = 'copy' | 'drop' | 'park';

/** A slot's stage depends only on slot % 100. */
const residues = Array.from({ length: 100 }, (_, slot) => slot);

export class FeedRouter {
  private record: StageRecord = initialRecord;
  private before: Placement | undefined;

  /** `before`: for a fenced record, the placement clients route by until the fence lifts. */
  update(record: StageRecord, before: Placement | undefined): void {
    this.record = record;
    this.before = record.fenced ? before : undefined;
  }

  get epoch(): number {
    return this.record.epoch;
  }

  get fenced(): boolean {
    return this.record.fenced;
  }

  /** The placement writes follow now: the one before a fence while it holds. */
  private get routed(): Placement {
    return this.record.fenced && this.before ? this.before : this.record;
  }

  /** The side whose changes are copied for this slot (its primary), or undefined where nothing is fed (complete). */
  copierOfSlot(slot: number): Side | undefined {
    const feed = routes[stageOfSlot(this.routed, slot % 100)].feed;
    return feed === 'source-to-target' ? 'source' : feed === 'target-to-source' ? 'target' : undefined;
  }

  decideSlot(side: Side, slot: number): FeedDecision {
    const copier = this.copierOfSlot(slot);
    if (side === copier) return 'copy';
    if (this.record.fenced && primaryMoves(this.routed, this.record, slot % 100)) return 'park';
    return 'drop';
  }

  decide(side: Side, key: Buffer): FeedDecision {
    return this.decideSlot(side, slotOf(key));
  }

  copierOf(key: Buffer): Side | undefined {
    return this.copierOfSlot(slotOf(key));
  }

  /** True when some bucket's changes are (or, once a fence lifts, will be) copied from `side`. */
  needsFeed(side: Side): boolean {
    return residues.some(
      (slot) =>
        this.copierOfSlot(slot) === side ||
        (this.record.fenced && routes[stageOfSlot(this.record, slot)].feed.startsWith(side)),
    );
  }

  direction(): SyncDirection {
    const sides = new Set(residues.map((slot) => this.copierOfSlot(slot)).filter((s) => s !== undefined));
    if (sides.size === 2) return 'both';
    if (sides.has('source')) return 'source-to-target';
    return sides.has('target') ? 'target-to-source' : 'none';
  }
}
