/** One step of a switch: its gates (re-checked under --wait), then its epochs, or why it did not happen. */
import type { StageRecord } from '../control/stage-record.js';
import { MigrateError } from '../errors.js';
import { sleep } from '../retry.js';
import { catchUpFromComplete, leavesComplete } from './complete-catch-up.js';
import { type SwitchContext, tell } from './context.js';
import { allPass, type Gate } from './gate.js';
import { evaluateGates } from './gates.js';
import type { SwitchStep } from './plan.js';
import { movePrimary, SwitchUndone } from './primary-move.js';
import { recordAt, writeNext } from './record.js';
import type { StepReport } from './report.js';
import type { SwitchLock } from './switch-lock.js';
import { waitForClients } from './waits.js';
import { runWindow } from './window.js';

const recheckEveryMs = 1000;

/** Evaluates the gates, again every second while --wait lasts and some gate fails. */
async function gatesWithWait(context: SwitchContext, step: SwitchStep, record: StageRecord): Promise<Gate[]> {
  const deadline = Date.now() + context.options.waitMs;
  let gates: Gate[] = [];
  for (;;) {
    gates = await evaluateGates(context, step, record, gates);
    const done = allPass(gates) || context.options.force || context.options.dryRun;
    if (done || Date.now() >= deadline || context.signal?.aborted) return gates;
    const failing = gates.filter((g) => !g.ok).map((g) => `${g.name} (${g.value})`);
    tell(context, 'wait', `waiting: ${failing.join(', ')}`);
    await sleep(recheckEveryMs, context.signal);
  }
}

export async function runStep(
  context: SwitchContext,
  step: SwitchStep,
  record: StageRecord,
  lock: SwitchLock | undefined,
  afterAnother: boolean,
): Promise<StepReport> {
  const started = Date.now();
  const base = { kind: step.kind, from: step.from, to: step.to, movesPrimary: step.movesPrimary };
  const report: StepReport = {
    ...base,
    movesReads: step.movesReads,
    gates: [],
    forced: false,
    outcome: 'dry-run',
    epochs: [],
    gatesMs: 0,
    durationMs: 0,
  };
  const finish = (outcome: StepReport['outcome']) => {
    report.outcome = outcome;
    report.durationMs = Date.now() - started;
    return report;
  };
  try {
    // Steps of one rollback: the clients must reach the epoch just written before the next one.
    if (afterAnother && !context.options.dryRun)
      await waitForClients(context, record.epoch, false, Date.now() + context.options.clientsTimeoutMs);
    tell(context, 'gates', 'checking gates');
    report.gates = await gatesWithWait(context, step, record);
    report.gatesMs = Date.now() - started;
    const failing = report.gates.filter((g) => !g.ok);
    report.forced = failing.length > 0 && context.options.force;
    if (context.options.dryRun) return finish('dry-run');
    if (failing.length > 0 && !report.forced) {
      report.error = {
        message: `not ready: ${failing.map((g) => g.name).join(', ')}`,
        hint: 'nothing was changed; fix what the gates show and run the command again, or pass --wait <seconds>',
        code: 4,
      };
      return finish('not-ready');
    }
    if (!lock) throw new Error('a switch needs the lock');
    // A window killed while fenced is finished the window's way again (writes stopped, final verify).
    if (step.kind === 'window' || (step.kind === 'finish-fence' && context.request.window)) {
      const result = await runWindow(context, step, record, lock);
      report.move = result.move;
      report.window = result.window;
      const { fencedEpoch, finalEpoch } = result.move;
      report.epochs = step.kind === 'window' ? [fencedEpoch, finalEpoch] : [finalEpoch];
    } else if (step.movesPrimary && step.kind !== 'revert-fence') {
      report.move = await movePrimary(context, step, record, lock, { prePass: true });
      const { fencedEpoch, finalEpoch } = report.move;
      report.epochs = step.kind === 'finish-fence' ? [finalEpoch] : [fencedEpoch, finalEpoch];
    } else {
      const catchUp = leavesComplete(context, step)
        ? { keysCompared: 0, repaired: 0, leftToSecondPass: 0, passMs: 0 }
        : undefined;
      if (catchUp) await catchUpFromComplete(context, step, catchUp, false);
      lock.assertHeld();
      const next = recordAt(step.to, record.epoch + 1, false, context.request.reason);
      await writeNext(context, next, record);
      report.epochs = [next.epoch];
      if (catchUp) {
        // Writes are mirrored to the source once each client routes by the new epoch: the second pass starts then
        // (and runs even when a client is late: the source is better caught up, and the error says who was late).
        const late = await waitForClients(
          context,
          next.epoch,
          false,
          Date.now() + context.options.clientsTimeoutMs,
        ).then(
          () => undefined,
          (error: unknown) => error,
        );
        await catchUpFromComplete(context, step, catchUp, true);
        report.catchUp = catchUp;
        if (late) throw late;
      }
      tell(
        context,
        'switch',
        `epoch ${next.epoch}: ${next.stage}${next.percent < 100 ? ` ${next.percent}%` : ''}`,
      );
    }
    return finish('switched');
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    report.error = { message: error.message, hint: error.hint, code: error.code };
    if (error instanceof SwitchUndone)
      report.epochs =
        step.kind === 'finish-fence' ? [record.epoch + 1] : [record.epoch + 1, record.epoch + 2];
    return finish(error.code === 4 && report.epochs.length === 0 ? 'not-ready' : 'aborted');
  }
}
