/**
 * Moving the primary of some buckets (shadow → live, a share of live, live → shadow, a window): two epochs. The
 * fenced epoch makes clients hold writes to the moving buckets and drain their mirrors; once they acknowledge and
 * the old primary's changes are all on the new one, the unfenced epoch lets the new primary take writes.
 */
import type { StageRecord } from '../control/stage-record.js';
import { ExitCode, MigrateError } from '../errors.js';
import { type SwitchContext, tell } from './context.js';
import { type DrainReport, MovingDrain } from './moving-drain.js';
import { type SwitchStep, show } from './plan.js';
import { recordAt, writeNext } from './record.js';
import type { SwitchLock } from './switch-lock.js';
import { readSync } from './sync-view.js';
import { waitForClients } from './waits.js';

export interface MoveReport {
  fencedEpoch: number;
  finalEpoch: number;
  /** Live client instances that acknowledged the fence. */
  acknowledged: number;
  /** Time between the fenced and the unfenced epoch: how long writes to the moving buckets were held. */
  pauseMs: number;
  drain: DrainReport;
}

export interface MoveHooks {
  /** Runs once clients hold their writes, before the drain (a window pauses the old primary here). */
  afterFence?: (() => Promise<void>) | undefined;
  /** Runs after the drain; a message means the switch must not happen (a window's final verify). */
  check?: (() => Promise<string | undefined>) | undefined;
  /** Writes the unfenced epoch (default: both servers). */
  unfence?: ((next: StageRecord, fenced: StageRecord) => Promise<void>) | undefined;
}

export interface MoveWay {
  /** No feed from the old primary: verify and repair before the fence (writes go on), re-copy under it. */
  prePass: boolean;
  /** false: drain by copying even when a sync runs (its status cannot reach a paused target). */
  useFeed?: boolean;
}

/** A switch that was undone: the record went back to the placement before, one epoch on. */
export class SwitchUndone extends MigrateError {}

export async function movePrimary(
  context: SwitchContext,
  step: SwitchStep,
  current: StageRecord,
  lock: SwitchLock,
  how: MoveWay,
  hooks: MoveHooks = {},
): Promise<MoveReport> {
  const old = step.oldPrimary ?? 'source';
  const view = await readSync(context.target);
  const feedOn = how.useFeed !== false && view.alive && view.status?.feeds?.[old] === true;
  const resuming = step.kind === 'finish-fence';
  const drain = new MovingDrain(context, step, feedOn);
  if (how.prePass && !resuming) await drain.beforeFence();
  let fenced = current;
  if (!resuming) {
    lock.assertHeld();
    fenced = recordAt(step.to, current.epoch + 1, true, context.request.reason);
    await writeNext(context, fenced, current);
  }
  const fencedAt = Date.now();
  const deadline = fencedAt + context.options.fenceTimeoutMs;
  let acknowledged = 0;
  try {
    tell(
      context,
      'fence',
      `epoch ${fenced.epoch}: writes to the moving buckets are held (${show(step.from)} → ${show(step.to)})`,
    );
    acknowledged = await waitForClients(context, fenced.epoch, true, deadline);
    await hooks.afterFence?.();
    await drain.underFence(fenced.epoch, deadline, !how.prePass || resuming);
    const problem = await hooks.check?.();
    if (problem) throw new MigrateError(problem, { code: ExitCode.incomplete });
    if (context.signal?.aborted)
      throw new MigrateError('interrupted', { code: ExitCode.interrupted, hint: 'run the command again' });
    lock.assertHeld();
  } catch (error) {
    throw await undo(context, step, fenced, error);
  }
  const next = recordAt(step.to, fenced.epoch + 1, false, context.request.reason);
  if (hooks.unfence) await hooks.unfence(next, fenced);
  else await writeNext(context, next, fenced);
  const pauseMs = Date.now() - fencedAt;
  tell(context, 'switch', `epoch ${next.epoch}: ${show(step.to)}; writes were held ${pauseMs} ms`);
  return { fencedEpoch: fenced.epoch, finalEpoch: next.epoch, acknowledged, pauseMs, drain: drain.report };
}

/** Writes the placement before the fence, unfenced, one epoch on; returns the error to report. */
async function undo(
  context: SwitchContext,
  step: SwitchStep,
  fenced: StageRecord,
  error: unknown,
): Promise<MigrateError> {
  const cause =
    error instanceof MigrateError ? error : new MigrateError(String(error), { code: ExitCode.connect });
  const back = recordAt(step.from, fenced.epoch + 1, false, `undone: ${cause.message}`);
  try {
    await writeNext(context, back, fenced);
  } catch (writeError) {
    return new MigrateError(`${cause.message}; undoing the fence failed too (${String(writeError)})`, {
      code: cause.code,
      hint: 'the record stays fenced: run the same command again to finish it, or the opposite one to undo it',
    });
  }
  tell(context, 'switch', `undone: epoch ${back.epoch} is ${show(step.from)} again`);
  return new SwitchUndone(`${cause.message} (undone: back at ${show(step.from)}, epoch ${back.epoch})`, {
    code: cause.code,
    hint: cause.hint,
  });
}
