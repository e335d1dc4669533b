/**
 * The next step of a cutover or rollback, from the record as it stands and what the operator asked: pure logic, so
 * every refusal (a skip, a lower share, nothing left to do) is decided before anything is written.
 */
import type { StageRecord } from '../control/stage-record.js';
import {
  nextStage,
  type Placement,
  previousStage,
  primaryMoves,
  routeOfSlot,
  type Side,
  type Stage,
  stageIndex,
} from '../control/stages.js';
import { ExitCode, MigrateError, usageError } from '../errors.js';
import type { SwitchRequest } from './request.js';

export type StepKind = 'step' | 'window' | 'finish-fence' | 'revert-fence';

export interface SwitchStep {
  kind: StepKind;
  /** The placement clients route by now (for a fenced record: the one before the fence). */
  from: Placement;
  to: Placement;
  /** Some bucket changes primary: a fenced epoch, the drain, then the unfenced epoch. */
  movesPrimary: boolean;
  /** Some bucket's reads change side. */
  movesReads: boolean;
  /** The side the moving buckets' writes leave: the drain and catch-up copy from it. */
  oldPrimary: Side | undefined;
}

export type Plan = SwitchStep | { kind: 'done'; why: string };

/** A slot's stage depends only on slot % 100, so these hundred slots stand for all 16,384. */
const residues = Array.from({ length: 100 }, (_, slot) => slot);

export const movingSlots = (from: Placement, to: Placement): number[] =>
  residues.filter((slot) => primaryMoves(from, to, slot));

/** True when `slot` is one whose primary changes between the two placements. */
export const slotMoves = (from: Placement, to: Placement, slot: number): boolean =>
  primaryMoves(from, to, slot % 100);

export function describeStep(from: Placement, to: Placement, kind: StepKind): SwitchStep {
  const moving = movingSlots(from, to);
  const first = moving[0];
  return {
    kind,
    from,
    to,
    movesPrimary: moving.length > 0,
    movesReads: residues.some((s) => routeOfSlot(from, s).reads !== routeOfSlot(to, s).reads),
    oldPrimary: first === undefined ? undefined : routeOfSlot(from, first).primary,
  };
}

const placementOf = (record: StageRecord): Placement => ({ stage: record.stage, percent: record.percent });

const isAhead = (a: Placement, b: Placement): boolean =>
  stageIndex(a.stage) > stageIndex(b.stage) || (a.stage === b.stage && a.percent > b.percent);

/** True when every bucket's primary is `side` under the placement. */
const allOn = (placement: Placement, side: Side): boolean =>
  residues.every((slot) => routeOfSlot(placement, slot).primary === side);

/**
 * The next step toward the request. `before` is the placement before the record's (from the history), needed
 * when a switch died while fenced: the same command finishes it, the opposite one undoes it.
 */
export function planStep(record: StageRecord, before: Placement | undefined, request: SwitchRequest): Plan {
  const at = placementOf(record);
  if (record.fenced) return planFenced(at, before, request);
  if (request.direction === 'rollback') return planRollback(at, request);
  return planCutover(at, request);
}

function planFenced(at: Placement, before: Placement | undefined, request: SwitchRequest): Plan {
  if (!before) {
    throw new MigrateError(`the stage record (${at.stage}) is fenced, but no history says what came before`, {
      code: ExitCode.notReady,
      hint: 'run `migrate status` on both servers; the history list __migrate:stage:history was lost',
    });
  }
  const forward = isAhead(at, before);
  const finishes = forward === (request.direction === 'cutover');
  const goal = finishes ? at : before;
  if (
    (request.to !== undefined && request.to !== goal.stage) ||
    (request.percent !== undefined && request.percent !== goal.percent)
  ) {
    throw usageError(
      `a switch from ${show(before)} to ${show(at)} was interrupted while fenced`,
      `finish it first: run \`migrate ${forward ? 'cutover' : 'rollback'}\` with no --to or --percent (or the other command to undo it)`,
    );
  }
  return finishes ? describeStep(before, at, 'finish-fence') : describeStep(at, before, 'revert-fence');
}

function planCutover(at: Placement, request: SwitchRequest): Plan {
  if (request.window) {
    if (allOn(at, 'target')) return { kind: 'done', why: `writes already go to the target (${show(at)})` };
    return describeStep(at, { stage: 'rampdown', percent: 100 }, 'window');
  }
  const { to, percent } = request;
  if (at.percent < 100) {
    if (to !== undefined && to !== at.stage)
      throw skip(at, to, `finish ${at.stage} first: \`migrate cutover\` moves the other buckets to it`);
    const share = percent ?? 100;
    if (share <= at.percent)
      throw usageError(
        `--percent ${share} is not above the current ${at.percent}% at ${at.stage}`,
        'a cutover only moves more buckets forward; `migrate rollback` moves every bucket back',
      );
    return describeStep(at, { stage: at.stage, percent: share }, 'step');
  }
  const next = nextStage(at.stage);
  if (!next) return { kind: 'done', why: 'the migration is complete' };
  if (to !== undefined && to !== next) {
    if (stageIndex(to) <= stageIndex(at.stage))
      throw usageError(`${to} is not ahead of ${at.stage}`, 'to go back, run `migrate rollback`');
    throw skip(at, to, `the next stage is ${next}: cut over one stage at a time`);
  }
  return describeStep(at, { stage: next, percent: percent ?? 100 }, 'step');
}

function planRollback(at: Placement, request: SwitchRequest): Plan {
  const goal = request.to;
  if (goal !== undefined && at.stage === goal && at.percent >= 100)
    return { kind: 'done', why: `at ${goal}` };
  const previous = previousStage(at.stage);
  if (!previous) throw usageError('nothing to roll back: the stage is source');
  if (goal !== undefined && stageIndex(goal) >= stageIndex(at.stage))
    throw usageError(`${goal} is not behind ${show(at)}`, 'to go forward, run `migrate cutover`');
  if (request.window) {
    if (allOn(at, 'source')) return { kind: 'done', why: `writes already go to the source (${show(at)})` };
    return describeStep(at, { stage: goal ?? 'source', percent: 100 }, 'window');
  }
  // One stage at a time: the engine plans again after each step until the goal is reached.
  return describeStep(at, { stage: previous, percent: 100 }, 'step');
}

/** Where a rollback ends: --to, else the source for a window, else the stage before the current one. */
export function rollbackGoal(record: StageRecord, request: SwitchRequest): Stage | undefined {
  if (request.to !== undefined) return request.to;
  return request.window ? 'source' : previousStage(record.stage);
}

const skip = (at: Placement, to: Stage, hint: string) =>
  usageError(`cannot go from ${show(at)} to ${to}: that skips a stage`, hint);

export const show = (p: Placement): string => (p.percent < 100 ? `${p.stage} ${p.percent}%` : p.stage);
