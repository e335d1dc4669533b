import { hostname } from 'node:os';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';

/** Which way a sync copies keys under its epoch: from each bucket's primary to the other side. */
export type SyncDirection = 'source-to-target' | 'target-to-source' | 'both' | 'none';

export type SyncStage = 'subscribing' | 'initial-copy' | 'streaming' | 'reconciling' | 'draining' | 'stopped';

/** What a running sync reports each interval, and publishes on the target for `migrate status`. */
export interface SyncStatus {
  stage: SyncStage;
  /** Age of the oldest change seen but not yet applied to the target (0 when caught up). */
  lagMs: number;
  eventsPerSec: number;
  /** Keys applied per second (copied or deleted on the target). */
  appliedPerSec: number;
  events: number;
  applied: number;
  /** Keys waiting to be copied: changed but not applied, plus the retry queue. */
  queueDepth: number;
  retryQueue: number;
  deadLetters: number;
  /** Times the change feed dropped (or the target restarted) and a reconciliation pass was needed. */
  gaps: number;
  reconciliations: number;
  /** Keys the initial copy scanned so far. */
  initialCopyScanned: number;
  startedAt: string;
  /** When this status was produced (ISO); `migrate status` calls the sync stale when it is older than 5 s. */
  heartbeatAt: string;
  pid: number;
  host: string;
  /** The stage epoch the sync routes by (it follows `__migrate:stage`); absent from a sync before stages. */
  epoch?: number;
  direction?: SyncDirection;
  /** Sides whose change feed is subscribed; a side without keyspace notifications has none. */
  feeds?: { source: boolean; target: boolean };
  /** Changed keys of buckets whose primary moves in a fenced switch: held until it completes, not lag. */
  parked?: number;
  /** When the change feed last had a gap (ISO): a verify older than this no longer proves the copy. */
  lastGapAt?: string;
}

export const staleAfterMs = 5000;

export const processIdentity = (): { pid: number; host: string } => ({ pid: process.pid, host: hostname() });

export async function publishStatus(target: RedisPort, key: string, status: SyncStatus): Promise<void> {
  await call(target, cmd('SET', [key, JSON.stringify(status)], key));
}

/** The status a sync last published, or undefined when none did. */
export async function readPublishedStatus(target: RedisPort, key: string): Promise<SyncStatus | undefined> {
  const text = asText(await call(target, cmd('GET', [key], key)));
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as SyncStatus;
  } catch {
    return undefined;
  }
}
