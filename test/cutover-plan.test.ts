/**
 * The pure logic of a switch: which step a cutover or rollback takes from the record (refusals included), and which
 * way a sync copies each bucket's changes under a record, fenced or not.
 */
import { describe, expect, it } from 'vitest';
import type { StageRecord } from '../src/control/stage-record.js';
import type { Stage } from '../src/control/stages.js';
import { planStep, rollbackGoal } from '../src/cutover/plan.js';
import { checkRequest, type SwitchRequest } from '../src/cutover/request.js';
import { MigrateError } from '../src/errors.js';
import { FeedRouter } from '../src/sync/feed-router.js';

const at = (stage: Stage, percent = 100, epoch = 3, fenced = false): StageRecord => ({
  stage,
  percent,
  epoch,
  fenced,
  changedAt: 0,
  reason: '',
});
const ask = (direction: SwitchRequest['direction'], more: Partial<SwitchRequest> = {}): SwitchRequest => ({
  direction,
  window: false,
  fence: false,
  reason: '',
  ...more,
});
const codeOf = (body: () => unknown): number | undefined => {
  try {
    body();
  } catch (error) {
    return error instanceof MigrateError ? error.code : -1;
  }
  return undefined;
};

describe('planning a cutover', () => {
  it('advances one stage, and moves a share of buckets with --percent', () => {
    expect(planStep(at('source'), undefined, ask('cutover'))).toMatchObject({
      to: { stage: 'dual-write', percent: 100 },
      movesPrimary: false,
      movesReads: false,
    });
    const tenth = planStep(at('shadow'), undefined, ask('cutover', { percent: 10 }));
    expect(tenth).toMatchObject({
      to: { stage: 'live', percent: 10 },
      movesPrimary: true,
      oldPrimary: 'source',
    });
    // Within a stage: only more buckets, up to all of them.
    expect(planStep(at('live', 10), undefined, ask('cutover'))).toMatchObject({
      to: { stage: 'live', percent: 100 },
    });
    expect(planStep(at('live', 10), undefined, ask('cutover', { percent: 50 }))).toMatchObject({
      from: { stage: 'live', percent: 10 },
      to: { stage: 'live', percent: 50 },
      movesPrimary: true,
    });
    expect(planStep(at('live'), undefined, ask('cutover'))).toMatchObject({
      to: { stage: 'rampdown' },
      movesPrimary: false,
    });
    expect(planStep(at('complete'), undefined, ask('cutover'))).toEqual({
      kind: 'done',
      why: 'the migration is complete',
    });
  });

  it('refuses a skip, a step back, a lower share and a finished stage left half-moved (exit 2)', () => {
    expect(codeOf(() => planStep(at('source'), undefined, ask('cutover', { to: 'shadow' })))).toBe(2);
    expect(codeOf(() => planStep(at('live'), undefined, ask('cutover', { to: 'shadow' })))).toBe(2);
    expect(codeOf(() => planStep(at('live', 50), undefined, ask('cutover', { percent: 10 })))).toBe(2);
    expect(codeOf(() => planStep(at('live', 50), undefined, ask('cutover', { to: 'rampdown' })))).toBe(2);
    expect(codeOf(() => checkRequest(ask('cutover', { percent: 0 })))).toBe(2);
    expect(codeOf(() => checkRequest(ask('cutover', { percent: 101 })))).toBe(2);
    expect(codeOf(() => checkRequest(ask('cutover', { fence: true })))).toBe(2);
    expect(codeOf(() => checkRequest(ask('rollback', { to: 'complete' })))).toBe(2);
  });

  it('switches a window straight to rampdown, moving every bucket from the source', () => {
    expect(planStep(at('source'), undefined, ask('cutover', { window: true }))).toMatchObject({
      kind: 'window',
      to: { stage: 'rampdown', percent: 100 },
      oldPrimary: 'source',
    });
    expect(planStep(at('rampdown'), undefined, ask('cutover', { window: true })).kind).toBe('done');
  });
});

describe('planning a rollback', () => {
  it('steps back one stage at a time toward --to, all buckets at once', () => {
    const request = ask('rollback', { to: 'shadow' });
    expect(planStep(at('rampdown'), undefined, request)).toMatchObject({
      to: { stage: 'live', percent: 100 },
    });
    expect(planStep(at('live', 30), undefined, request)).toMatchObject({
      to: { stage: 'shadow', percent: 100 },
      movesPrimary: true,
      oldPrimary: 'target',
    });
    expect(planStep(at('shadow'), undefined, request).kind).toBe('done');
    expect(rollbackGoal(at('live'), ask('rollback'))).toBe('shadow');
    expect(rollbackGoal(at('rampdown'), ask('rollback', { window: true }))).toBe('source');
  });

  it('refuses a rollback from source and a goal that is not behind (exit 2)', () => {
    expect(codeOf(() => planStep(at('source'), undefined, ask('rollback')))).toBe(2);
    expect(codeOf(() => planStep(at('shadow'), undefined, ask('rollback', { to: 'live' })))).toBe(2);
  });
});

describe('a switch interrupted while fenced', () => {
  const fenced = at('live', 100, 7, true);
  const before = { stage: 'shadow' as const, percent: 100 };

  it('is finished by the same command and undone by the opposite one', () => {
    expect(planStep(fenced, before, ask('cutover'))).toMatchObject({
      kind: 'finish-fence',
      from: before,
      to: { stage: 'live', percent: 100 },
    });
    expect(planStep(fenced, before, ask('rollback'))).toMatchObject({
      kind: 'revert-fence',
      to: before,
    });
  });

  it('refuses another destination until it is settled, and a fence whose history is lost (exit 4)', () => {
    expect(codeOf(() => planStep(fenced, before, ask('cutover', { to: 'rampdown' })))).toBe(2);
    expect(codeOf(() => planStep(fenced, undefined, ask('cutover')))).toBe(4);
  });
});

describe('which way a sync copies each bucket', () => {
  const slotAtLive = 5; // slot % 100 < 10: at live when live is at 10%
  const slotAtShadow = 50;

  it('copies from each bucket’s primary only', () => {
    const router = new FeedRouter();
    router.update(at('shadow'), undefined);
    expect(router.decideSlot('source', slotAtLive)).toBe('copy');
    expect(router.decideSlot('target', slotAtLive)).toBe('drop');
    expect(router.direction()).toBe('source-to-target');
    router.update(at('live', 10), undefined);
    expect(router.decideSlot('target', slotAtLive)).toBe('copy');
    expect(router.decideSlot('source', slotAtLive)).toBe('drop');
    expect(router.decideSlot('source', slotAtShadow)).toBe('copy');
    expect(router.direction()).toBe('both');
    router.update(at('complete'), undefined);
    expect(router.direction()).toBe('none');
  });

  it('while fenced, drains the moving buckets from their old primary and parks what their new one says', () => {
    const router = new FeedRouter();
    router.update(at('live', 10, 8, true), { stage: 'shadow', percent: 100 });
    expect(router.decideSlot('source', slotAtLive)).toBe('copy');
    expect(router.decideSlot('target', slotAtLive)).toBe('park');
    expect(router.decideSlot('target', slotAtShadow)).toBe('drop');
    expect(router.needsFeed('target')).toBe(true);
    router.update(at('live', 10, 9, false), undefined);
    expect(router.decideSlot('target', slotAtLive)).toBe('copy');
  });
});
