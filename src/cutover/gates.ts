/**
 * Which gates a step needs, evaluated as data. Cutover steps that leave buckets on the source need the sync to keep
 * the target current; steps that move reads or the primary need a clean verify and clean client reports; every step
 * needs the live clients on the current epoch. A rollback is gated by the clients only: its catch-up protects data.
 */
import { readHeartbeats } from '../control/heartbeats.js';
import type { StageRecord } from '../control/stage-record.js';
import { routeOfSlot } from '../control/stages.js';
import { clientEpochGate, mirrorGate, repairSetSize, shadowGate } from './client-gates.js';
import type { SwitchContext } from './context.js';
import type { Gate } from './gate.js';
import type { SwitchStep } from './plan.js';
import { readSync, syncGates } from './sync-view.js';
import { savedVerifyGate, verifyNowGate } from './verify-step.js';

const someOnSource = (step: SwitchStep): boolean =>
  Array.from({ length: 100 }, (_, slot) => routeOfSlot(step.from, slot).primary).includes('source');

/** `previous`: the gates of the last round of a --wait; a verify that passed is not run again. */
export async function evaluateGates(
  context: SwitchContext,
  step: SwitchStep,
  record: StageRecord,
  previous: readonly Gate[] = [],
): Promise<Gate[]> {
  if (step.kind === 'finish-fence' || step.kind === 'revert-fence') return [];
  const { options, target } = context;
  const cutover = context.request.direction === 'cutover';
  const moves = step.movesPrimary || step.movesReads || step.kind === 'window';
  const gates: Gate[] = [];
  const sync = await readSync(target);
  if (cutover && someOnSource(step)) gates.push(...syncGates(sync, options.maxLagMs));
  if (cutover && moves) {
    const passed = previous.find((g) => g.name === 'verify' && g.ok);
    // A window verifies again once writes stop: its gate samples, whatever --verify says for the final check.
    const mode = step.kind === 'window' && options.verify === 'full' ? 'sample' : options.verify;
    if (passed) gates.push(passed);
    else if (mode === 'none') gates.push(await savedVerifyGate(target, sync.status?.lastGapAt));
    else gates.push(await verifyNowGate(context, mode));
  }
  const clients = await readHeartbeats(target);
  gates.push(clientEpochGate(clients, record.epoch));
  if (cutover && moves) {
    gates.push(shadowGate(clients, options.maxShadowMismatchRate));
    gates.push(mirrorGate(clients, await repairSetSize(target)));
  }
  return gates;
}
