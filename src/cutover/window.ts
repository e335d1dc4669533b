/**
 * A maintenance-window switch, for applications that switch by configuration: writes stop on the old primary (the
 * operator stops them and the command waits for quiet, or --fence pauses them), the moving buckets are drained
 * (the sync's feed, or a final verify-and-repair pass), a final verify must come out clean, and the record moves
 * in the two epochs of any primary switch. The write-freeze time is measured from writes stopped to the switch.
 */
import { stageChannel } from '../control/names.js';
import type { StageRecord } from '../control/stage-record.js';
import { writeSide } from '../control/stage-record.js';
import { otherSide } from '../control/stages.js';
import { cmd } from '../redis/port.js';
import { portOf, type SwitchContext, tell } from './context.js';
import type { SwitchStep } from './plan.js';
import { type MoveReport, movePrimary } from './primary-move.js';
import { waitForQuiet } from './quiet.js';
import { writeNext } from './record.js';
import type { SwitchLock } from './switch-lock.js';
import { describeVerify, verifySides } from './verify-step.js';
import { waitForSyncEpoch } from './waits.js';
import type { WindowReport } from './window-report.js';
import { WritePause } from './write-pause.js';

/** How long the sync gets to route by the new epoch before the summary says it did not. */
const syncFollowMs = 5000;

export async function runWindow(
  context: SwitchContext,
  step: SwitchStep,
  record: StageRecord,
  lock: SwitchLock,
): Promise<{ move: MoveReport; window: WindowReport }> {
  const old = step.oldPrimary ?? 'source';
  const oldPort = portOf(context, old);
  const freshPort = portOf(context, otherSide(old));
  const { options, request } = context;
  let pause: WritePause | undefined;
  let stoppedAt = Date.now();
  let frozenUntil = 0;
  const report: WindowReport = {
    stoppedBy: request.fence ? 'client-pause' : 'quiet',
    freezeMs: 0,
    syncFollowed: false,
  };
  try {
    if (request.fence) await WritePause.check(oldPort);
    else {
      const quiet = await waitForQuiet(context, old);
      report.quietBy = quiet.by;
      report.quietWaitMs = quiet.waitedMs;
      stoppedAt = quiet.since;
    }
    const move = await movePrimary(
      context,
      step,
      record,
      lock,
      // A paused target cannot take the sync's status: the drain then copies instead of waiting for it.
      { prePass: false, useFeed: !(request.fence && old === 'target') },
      {
        afterFence: request.fence
          ? async () => {
              pause = await WritePause.start(oldPort, options.pauseLeaseMs);
              stoppedAt = pause.startedAt;
              tell(context, 'pause', `writes to the ${old} paused (CLIENT PAUSE … WRITE)`);
            }
          : undefined,
        check: async () => {
          if (options.verify === 'none') return undefined;
          const mode = options.verify === 'full' ? 'full' : 'sample';
          tell(context, 'verify', `final verify (${mode}) of the ${otherSide(old)} against the ${old}`);
          const verify = await verifySides(context, { from: old, mode, save: true });
          report.verify = { ok: verify.ok, mode, checked: verify.checked, remaining: verify.remaining };
          return verify.ok ? undefined : `the final verify found differences: ${describeVerify(verify)}`;
        },
        unfence: async (next, fenced) => {
          if (pause) {
            // The paused side takes no write: the record goes to the other side first, the rest once writes resume.
            await writeSide(freshPort, next);
            await freshPort.exec([cmd('PUBLISH', [stageChannel, String(next.epoch)])]);
            frozenUntil = Date.now();
            tell(
              context,
              'switch',
              `point the application at ${freshPort.label}: writes to the ${old} stay paused until it has left (at most ${Math.round(options.fenceHoldMs / 1000)} s)`,
            );
            report.hold = await pause.holdForApplication(
              options.fenceHoldMs,
              options.pollMs * 4,
              context.signal,
            );
            await pause.lift();
            const { connectionsLeft } = report.hold;
            tell(
              context,
              'pause',
              connectionsLeft === 0
                ? `writes to the ${old} resumed (the application left it)`
                : `writes to the ${old} resumed with ${connectionsLeft} application connection(s) still on it: their writes land there, not on the ${otherSide(old)}`,
            );
          }
          await writeNext(context, next, fenced);
          frozenUntil ||= Date.now();
        },
      },
    );
    report.freezeMs = frozenUntil - stoppedAt;
    report.syncFollowed = await waitForSyncEpoch(context, move.finalEpoch, syncFollowMs);
    // A fenced switch said so when its hold began.
    if (!report.hold) tell(context, 'switch', `point the application at ${freshPort.label}`);
    return { move, window: report };
  } finally {
    await (pause as WritePause | undefined)?.lift();
  }
}
