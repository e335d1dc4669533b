/** The running sync as the switch sees it: its published status, whether it is alive, and its gates. */
import { syncStatusKey } from '../control/names.js';
import { readPublishedStatus, type SyncStatus, staleAfterMs } from '../control/sync-status.js';
import type { RedisPort } from '../redis/port.js';
import { type Gate, gate } from './gate.js';

export interface SyncView {
  status: SyncStatus | undefined;
  /** Published within the last 5 s, and not stopped. */
  alive: boolean;
  ageMs: number;
}

export async function readSync(target: RedisPort, now = Date.now()): Promise<SyncView> {
  const status = await readPublishedStatus(target, syncStatusKey);
  if (!status) return { status, alive: false, ageMs: Number.POSITIVE_INFINITY };
  const ageMs = Math.max(0, now - Date.parse(status.heartbeatAt));
  return { status, alive: status.stage !== 'stopped' && ageMs <= staleAfterMs, ageMs };
}

/** True when the sync has applied everything it saw, under `epoch` or later (so it knows of the fence). */
export const syncDrained = (view: SyncView, epoch: number): boolean =>
  view.alive &&
  view.status !== undefined &&
  (view.status.epoch ?? -1) >= epoch &&
  view.status.lagMs === 0 &&
  view.status.queueDepth === 0;

/** Sync heartbeat, lag and retry queue: what keeps the secondary current while the primary takes writes. */
export function syncGates(view: SyncView, maxLagMs: number): Gate[] {
  const s = view.status;
  const heartbeat = !s
    ? 'no sync has run against this target'
    : s.stage === 'stopped'
      ? `stopped at ${s.heartbeatAt}`
      : `${view.alive ? 'alive' : 'stale'}, last ${Math.round(view.ageMs)} ms ago (pid ${s.pid} on ${s.host})`;
  return [
    gate('sync heartbeat', view.alive, heartbeat, `alive, within ${staleAfterMs} ms`),
    gate(
      'sync lag',
      view.alive && s !== undefined && s.lagMs <= maxLagMs,
      s && view.alive ? `${s.lagMs} ms` : 'no live sync',
      `≤ ${maxLagMs} ms`,
    ),
    gate(
      'retry queue',
      view.alive && s !== undefined && s.retryQueue === 0 && s.deadLetters === 0,
      s && view.alive ? `${s.retryQueue} queued, ${s.deadLetters} dead letters` : 'no live sync',
      '0 queued, 0 dead letters',
    ),
  ];
}
