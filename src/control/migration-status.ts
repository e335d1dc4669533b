import { dbsize } from '../redis/keyspace.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { type ClientHeartbeat, readHeartbeats } from './heartbeats.js';
import type { LastVerify } from './last-verify.js';
import { lastVerifyKey, syncStatusKey } from './names.js';
import { readStageHistory, readStageRecord, type StageChange, type StageRecord } from './stage-record.js';
import { routes, type StageRoute } from './stages.js';
import { readPublishedStatus, type SyncStatus, staleAfterMs } from './sync-status.js';

/** Where a migration stands, as the reserved keys on both servers tell it. */
export interface MigrationStatus {
  /** The stage record with the higher epoch (the initial `source` record when no switch happened yet). */
  stage: StageRecord;
  /** What the stage means for routing (reads, primary, mirror, change feed direction). */
  route: StageRoute;
  /** Both servers hold the same epoch; false after a switch interrupted between the two writes. */
  recordsAgree: boolean;
  /** The last stage changes, oldest first. */
  history: StageChange[];
  /** Application instances with a live heartbeat. */
  clients: ClientHeartbeat[];
  sync:
    | (SyncStatus & {
        /** 'alive': heartbeat within 5 s; 'stale': the sync stopped without saying so (crash, kill -9, network). */
        heartbeat: 'alive' | 'stale' | 'stopped';
        heartbeatAgeMs: number;
      })
    | undefined;
  lastVerify: LastVerify | undefined;
  /** Keys on the target (DBSIZE, reserved keys included). */
  targetKeys: number;
  sourceKeys: number | undefined;
}

export async function readMigrationStatus(
  target: RedisPort,
  source?: RedisPort,
  now = Date.now(),
): Promise<MigrationStatus> {
  const reading = await readStageRecord(source ? { source, target } : { target });
  const published = await readPublishedStatus(target, syncStatusKey);
  const verifyText = asText(await call(target, cmd('GET', [lastVerifyKey], lastVerifyKey)));
  let sync: MigrationStatus['sync'];
  if (published) {
    const heartbeatAgeMs = Math.max(0, now - Date.parse(published.heartbeatAt));
    const heartbeat =
      published.stage === 'stopped' ? 'stopped' : heartbeatAgeMs > staleAfterMs ? 'stale' : 'alive';
    sync = { ...published, heartbeat, heartbeatAgeMs };
  }
  return {
    stage: reading.record,
    route: routes[reading.record.stage],
    recordsAgree: source ? reading.agree : true,
    history: await readStageHistory(target, 5),
    clients: await readHeartbeats(target),
    sync,
    lastVerify: parse<LastVerify>(verifyText),
    targetKeys: await dbsize(target),
    sourceKeys: source ? await dbsize(source) : undefined,
  };
}

function parse<T>(text: string): T | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
