/** Shared by the cutover tests: a healthy sync's published status, a clean saved verify, client heartbeats. */
import { hostname } from 'node:os';
import { type ClientHeartbeat, publishHeartbeat } from '../../src/control/heartbeats.js';
import { saveLastVerify } from '../../src/control/last-verify.js';
import { syncStatusKey } from '../../src/control/names.js';
import { readStageRecord, type StageRecord, writeStageRecord } from '../../src/control/stage-record.js';
import type { Stage } from '../../src/control/stages.js';
import { publishStatus, type SyncStatus } from '../../src/control/sync-status.js';
import type { RedisPort } from '../../src/redis/port.js';

/** A sync status as a running, caught-up sync publishes it; `more` breaks one thing. */
export function syncStatus(more: Partial<SyncStatus> = {}): SyncStatus {
  const now = new Date().toISOString();
  return {
    stage: 'streaming',
    lagMs: 0,
    eventsPerSec: 0,
    appliedPerSec: 0,
    events: 0,
    applied: 0,
    queueDepth: 0,
    retryQueue: 0,
    deadLetters: 0,
    gaps: 0,
    reconciliations: 0,
    initialCopyScanned: 0,
    startedAt: now,
    heartbeatAt: now,
    pid: 4242,
    host: hostname(),
    epoch: 0,
    direction: 'source-to-target',
    feeds: { source: true, target: false },
    parked: 0,
    ...more,
  };
}

export const publishSync = (target: RedisPort, more: Partial<SyncStatus> = {}) =>
  publishStatus(target, syncStatusKey, syncStatus(more));

export const saveCleanVerify = (target: RedisPort, at = new Date()) =>
  saveLastVerify(target, {
    ok: true,
    mode: 'sample',
    checked: 1000,
    missing: 0,
    extra: 0,
    typeMismatch: 0,
    valueMismatch: 0,
    ttlMismatch: 0,
    repaired: 0,
    remaining: 0,
    interrupted: false,
    at: at.toISOString(),
    durationMs: 10,
  });

export function heartbeat(id: string, epoch: number, more: Partial<ClientHeartbeat> = {}): ClientHeartbeat {
  return {
    id,
    epoch,
    stage: 'shadow',
    percent: 100,
    holdingWrites: false,
    host: 'app',
    pid: 1,
    version: '0.0.0',
    mirrorQueue: 0,
    mirrorFailures: 0,
    mirrorRecorded: 0,
    shadowReads: 0,
    shadowMismatches: 0,
    at: Date.now(),
    ...more,
  };
}

export const beat = (target: RedisPort, id: string, epoch: number, more: Partial<ClientHeartbeat> = {}) =>
  publishHeartbeat(target, heartbeat(id, epoch, more));

/** Puts both servers at `stage`, `epoch` (as a finished switch leaves them). */
export async function setStage(
  ports: { source: RedisPort; target: RedisPort },
  stage: Stage,
  epoch: number,
  percent = 100,
) {
  const record: StageRecord = { stage, epoch, percent, fenced: false, changedAt: Date.now(), reason: 'test' };
  await writeStageRecord(ports, record, {
    ...record,
    from: { stage: 'source', epoch: epoch - 1, percent: 100, fenced: false },
    host: 'test',
    pid: process.pid,
  });
}

/** The epochs both servers hold (-1: none, or unreadable). */
export async function epochs(ports: { source: RedisPort; target: RedisPort }) {
  const reading = await readStageRecord(ports);
  const of = (side: typeof reading.source) =>
    side && typeof side === 'object' && 'epoch' in side ? side.epoch : -1;
  return { source: of(reading.source), target: of(reading.target), record: reading.record };
}
