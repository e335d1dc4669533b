import { hostname } from 'node:os';
import type { ClientHeartbeat } from '../control/heartbeats.js';
import type { StageRecord } from '../control/stage-record.js';
import type { Stage } from '../control/stages.js';
import type { Mirror } from './mirror.js';
import type { RepairLog } from './repair-log.js';
import type { Router } from './router.js';
import type { ShadowReads } from './shadow-reads.js';

/** What one client instance knows of the migration and of its own work, for the application to log. */
export interface MigrationStats {
  clientId: string;
  /** The stage record this instance routes by and has acknowledged (undefined until first read). */
  stage: Stage | undefined;
  percent: number;
  epoch: number;
  fenced: boolean;
  /** Commands waiting for a switch to finish. */
  heldCommands: number;
  mirror: {
    queued: number;
    mirrored: number;
    failures: number;
    recorded: number;
    unrecorded: number;
    lagP50Ms: number;
    lagP99Ms: number;
  };
  shadow: { compared: number; mismatches: number; busy: number; examples: string[] };
}

/** What the stats and the heartbeat are made of. */
export interface MigrationParts {
  clientId: string;
  /** The record applied and acknowledged (undefined until the first read). */
  acked: StageRecord | undefined;
  router: Router;
  mirror: Mirror;
  repair: RepairLog;
  shadow: ShadowReads;
}

export function statsOf({ clientId, acked, router, mirror, repair, shadow }: MigrationParts): MigrationStats {
  return {
    clientId,
    stage: acked?.stage,
    percent: acked?.percent ?? 0,
    epoch: acked?.epoch ?? 0,
    fenced: acked?.fenced ?? false,
    heldCommands: router.held,
    mirror: {
      queued: mirror.depth,
      mirrored: mirror.mirrored,
      failures: mirror.failures,
      recorded: repair.recorded,
      unrecorded: repair.unrecorded + repair.lost,
      lagP50Ms: mirror.lag.percentile(50),
      lagP99Ms: mirror.lag.percentile(99),
    },
    shadow: {
      compared: shadow.compared,
      mismatches: shadow.mismatches,
      busy: shadow.busy,
      examples: [...shadow.examples],
    },
  };
}

/** The heartbeat `migrate cutover`'s gates read (nothing before the first epoch is applied). */
export function heartbeatOf(parts: MigrationParts, version: string): ClientHeartbeat | undefined {
  const { clientId, acked, mirror, repair, shadow } = parts;
  if (!acked) return undefined;
  return {
    id: clientId,
    epoch: acked.epoch,
    stage: acked.stage,
    percent: acked.percent,
    holdingWrites: acked.fenced,
    host: hostname(),
    pid: process.pid,
    version,
    mirrorQueue: mirror.depth,
    mirrorFailures: mirror.failures,
    mirrorRecorded: repair.recorded,
    mirrorUnrecorded: repair.unrecorded + repair.lost,
    shadowReads: shadow.compared,
    shadowMismatches: shadow.mismatches,
    shadowExamples: [...shadow.examples],
    at: Date.now(),
  };
}
