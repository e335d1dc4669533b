/** The waits of a switch: clients reaching an epoch, the sync applying everything under it. */
import { type ClientHeartbeat, readHeartbeats } from '../control/heartbeats.js';
import { ExitCode, MigrateError } from '../errors.js';
import { sleep } from '../retry.js';
import type { SwitchContext } from './context.js';
import { readSync, type SyncView, syncDrained } from './sync-view.js';

const describe = (clients: readonly ClientHeartbeat[]): string =>
  clients.map((c) => `${c.host}:${c.pid} (${c.id}) at epoch ${c.epoch}`).join('; ');

/**
 * Waits until every live client routes by `epoch` (and, for a fenced epoch, holds its writes: its acknowledgement).
 * A client whose heartbeat lapses drops out. Returns how many answered; throws exit 4 at the deadline.
 */
export async function waitForClients(
  context: SwitchContext,
  epoch: number,
  fenced: boolean,
  deadline: number,
): Promise<number> {
  for (;;) {
    const clients = await readHeartbeats(context.target);
    const pending = clients.filter((c) => c.epoch !== epoch || (fenced && !c.holdingWrites));
    if (pending.length === 0) return clients.length;
    if (Date.now() >= deadline || context.signal?.aborted) {
      throw new MigrateError(`client instances did not reach epoch ${epoch} in time: ${describe(pending)}`, {
        code: ExitCode.notReady,
        hint: 'check that these instances run the client library and reach the target; then run the command again',
      });
    }
    await sleep(context.options.pollMs, context.signal);
  }
}

/** Waits until the sync reports epoch ≥ `epoch` with nothing left to apply; throws exit 4 at the deadline. */
export async function waitForSyncDrain(
  context: SwitchContext,
  epoch: number,
  deadline: number,
): Promise<SyncView> {
  for (;;) {
    const view = await readSync(context.target);
    if (syncDrained(view, epoch)) return view;
    if (Date.now() >= deadline || context.signal?.aborted) {
      const s = view.status;
      throw new MigrateError(
        `the sync did not drain in time (epoch ${s?.epoch ?? '?'} of ${epoch}, lag ${s?.lagMs ?? '?'} ms, queue ${s?.queueDepth ?? '?'})`,
        { code: ExitCode.notReady, hint: 'check `migrate status`; the switch was undone, run it again' },
      );
    }
    await sleep(context.options.pollMs, context.signal);
  }
}

/** Waits (bounded) for the sync to route by `epoch`; false when it did not in time (reported, not fatal). */
export async function waitForSyncEpoch(
  context: SwitchContext,
  epoch: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readSync(context.target);
    if (!view.alive) return false;
    if ((view.status?.epoch ?? -1) >= epoch) return true;
    if (Date.now() >= deadline || context.signal?.aborted) return false;
    await sleep(context.options.pollMs, context.signal);
  }
}
