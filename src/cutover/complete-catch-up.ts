/**
 * Leaving `complete` (a rollback to rampdown): nothing was mirrored to the source and no sync copied to it while
 * buckets were complete, so the source catches up on them from the target by a verify with repair, before the
 * record moves and once more after every client acknowledged the new epoch (from then on clients mirror again; a
 * write made between the first pass and the acknowledgement is only caught by the second). While the application
 * writes, a key it keeps changing differs again right after its repair: the first pass only carries the bulk (what
 * it leaves is the second pass's), and the second one, made when every later write is mirrored, must end clean.
 */
import { stageOfSlot } from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { slotOf } from '../redis/slot.js';
import { type SwitchContext, tell } from './context.js';
import type { SwitchStep } from './plan.js';
import { verifySides } from './verify-step.js';

export interface CatchUpReport {
  keysCompared: number;
  repaired: number;
  /** Keys still different after the first pass (changed again while nothing mirrored them): the second pass's. */
  leftToSecondPass: number;
  passMs: number;
}

export const leavesComplete = (context: SwitchContext, step: SwitchStep): boolean =>
  context.request.direction === 'rollback' &&
  Array.from({ length: 100 }, (_, slot) => stageOfSlot(step.from, slot)).includes('complete');

export async function catchUpFromComplete(
  context: SwitchContext,
  step: SwitchStep,
  report: CatchUpReport,
  final: boolean,
): Promise<void> {
  tell(
    context,
    'catch-up',
    'the source took no write while complete: verifying it against the target, repairing',
  );
  const started = Date.now();
  const verify = await verifySides(context, {
    from: 'target',
    mode: 'full',
    repair: true,
    keyFilter: (key) => stageOfSlot(step.from, slotOf(key) % 100) === 'complete',
  });
  report.keysCompared += verify.checked;
  report.repaired += verify.repaired;
  report.passMs += Date.now() - started;
  if (!final) {
    report.leftToSecondPass = verify.remaining;
    if (verify.interrupted) throw interrupted();
    return;
  }
  if (!verify.ok)
    throw new MigrateError(`${verify.remaining} keys of the source could not be caught up from the target`, {
      code: ExitCode.incomplete,
      hint: 'run `migrate verify --full` with the two URLs swapped to see them, then run the rollback again',
    });
}

const interrupted = () =>
  new MigrateError('interrupted', { code: ExitCode.interrupted, hint: 'run the command again' });
