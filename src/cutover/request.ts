/** What the operator asked for, checked before any connection where the flags alone can tell. */
import type { Stage } from '../control/stages.js';
import { usageError } from '../errors.js';

export type SwitchDirection = 'cutover' | 'rollback';

export interface SwitchRequest {
  direction: SwitchDirection;
  /** cutover: the next stage only; rollback: an earlier stage, reached one stage at a time (a window: at once). */
  to?: Stage | undefined;
  /** cutover: share of key buckets (1–100) at the stage moved to. */
  percent?: number | undefined;
  /** Maintenance window for applications that switch by configuration: stop writes, drain, verify, switch. */
  window: boolean;
  /** Window: pause the old primary's writes with CLIENT PAUSE … WRITE instead of waiting for them to stop. */
  fence: boolean;
  /** Saved with the record and its history. */
  reason: string;
}

/** Refuses combinations the flags alone rule out (exit 2, nothing opened). */
export function checkRequest(request: SwitchRequest): void {
  const { direction, to, percent, window, fence } = request;
  if (percent !== undefined && (!Number.isInteger(percent) || percent < 1 || percent > 100))
    throw usageError(`invalid --percent ${percent}: expected a whole number from 1 to 100`);
  if (fence && !window)
    throw usageError('--fence needs --window', 'the fence pauses writes for a window switch');
  if (window && percent !== undefined)
    throw usageError('--window moves every bucket at once: drop --percent');
  if (direction === 'cutover' && to === 'source')
    throw usageError('cannot cut over to source', 'to go back, run `migrate rollback`');
  if (direction === 'cutover' && window && to !== undefined && to !== 'rampdown')
    throw usageError(`--window switches to rampdown, not ${to}`, 'drop --to, or run a staged cutover');
  if (direction === 'rollback' && to === 'complete')
    throw usageError('cannot roll back to complete', 'to go forward, run `migrate cutover`');
  if (
    direction === 'rollback' &&
    window &&
    to !== undefined &&
    !['source', 'dual-write', 'shadow'].includes(to)
  )
    throw usageError(
      `rollback --window goes back to a stage whose writes go to the source, not ${to}`,
      'pass --to source, dual-write or shadow',
    );
}
