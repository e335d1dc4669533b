/**
 * The six stages of a migration (LaunchDarkly's migration-flag names) and what each means for routing: where reads
 * go, which side is primary for writes, where written keys are mirrored, and which way the change feed runs.
 */
import { slotOf } from '../redis/slot.js';

export const stages = ['source', 'dual-write', 'shadow', 'live', 'rampdown', 'complete'] as const;
export type Stage = (typeof stages)[number];
export type Side = 'source' | 'target';

export interface StageRoute {
  /** Where reads are served from. */
  reads: Side;
  /** Where writes go first; the caller's reply is the primary's. */
  primary: Side;
  /** Where each written key is re-copied after the primary acknowledged it; undefined: nowhere. */
  mirror: Side | undefined;
  /** A sample of reads is also sent to the other side and compared. */
  shadowReads: boolean;
  /** Direction `migrate sync` follows (where the primary has keyspace notifications). */
  feed: 'source-to-target' | 'target-to-source' | 'none';
}

export const routes: Record<Stage, StageRoute> = {
  source: {
    reads: 'source',
    primary: 'source',
    mirror: undefined,
    shadowReads: false,
    feed: 'source-to-target',
  },
  'dual-write': {
    reads: 'source',
    primary: 'source',
    mirror: 'target',
    shadowReads: false,
    feed: 'source-to-target',
  },
  shadow: {
    reads: 'source',
    primary: 'source',
    mirror: 'target',
    shadowReads: true,
    feed: 'source-to-target',
  },
  live: { reads: 'target', primary: 'target', mirror: 'source', shadowReads: true, feed: 'target-to-source' },
  rampdown: {
    reads: 'target',
    primary: 'target',
    mirror: 'source',
    shadowReads: false,
    feed: 'target-to-source',
  },
  complete: { reads: 'target', primary: 'target', mirror: undefined, shadowReads: false, feed: 'none' },
};

export const isStage = (name: string): name is Stage => (stages as readonly string[]).includes(name);

export const stageIndex = (stage: Stage): number => stages.indexOf(stage);

/** The stage before `stage`, or undefined for the first. */
export const previousStage = (stage: Stage): Stage | undefined => stages[stageIndex(stage) - 1];

/** The stage after `stage`, or undefined for the last. */
export const nextStage = (stage: Stage): Stage | undefined => stages[stageIndex(stage) + 1];

export const otherSide = (side: Side): Side => (side === 'source' ? 'target' : 'source');

/** What a routing decision needs of the record. */
export interface Placement {
  stage: Stage;
  percent: number;
}

/**
 * A key's bucket is its cluster hash slot, so keys of one slot move together and a multi-key command never
 * straddles two stages. A slot is at `stage` when slot % 100 < percent, otherwise at the stage before it.
 */
export function stageOfSlot(placement: Placement, slot: number): Stage {
  if (slot % 100 < placement.percent) return placement.stage;
  return previousStage(placement.stage) ?? placement.stage;
}

export const stageOfKey = (placement: Placement, key: Buffer | string): Stage =>
  stageOfSlot(placement, slotOf(key));

export const routeOfSlot = (placement: Placement, slot: number): StageRoute =>
  routes[stageOfSlot(placement, slot)];

/** True when the primary of `slot` differs between two placements: its writes must be held while the switch is fenced. */
export const primaryMoves = (from: Placement, to: Placement, slot: number): boolean =>
  routeOfSlot(from, slot).primary !== routeOfSlot(to, slot).primary;
