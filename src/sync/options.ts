import { syncStatusKey } from '../control/names.js';

/** What `migrate sync` does and how hard it tries; the defaults live here and only here. */
export interface SyncOptions {
  /** Only keys matching this glob are copied and followed. @default '*' */
  match: string;
  /** Turn keyspace notifications on at the source (CONFIG SET) when they are off. @default false */
  configureNotifications: boolean;
  /** Folder for the retry queue, dead letters and the initial-copy checkpoint. @default '.migrate' */
  stateDir: string;
  /** Attempts per key before it goes to the dead-letter list. @default 10 */
  maxRetries: number;
  /** How long a stop may spend applying what is still queued. @default 10000 */
  drainTimeoutMs: number;
  /** Skip the initial copy: only when the target was already copied and notifications have been on since. */
  skipInitialCopy: boolean;
  /** Keys per copy call (one source read). @default 500 */
  batch: number;
  /** Copy calls in flight at once. @default 4 */
  concurrency: number;
  /** Cap on source commands per second (initial copy, reads of changed keys, rescans); undefined means no cap. */
  rate: number | undefined;
  /** First retry delay; doubles per attempt, with jitter. @default 250 */
  retryBaseMs: number;
  /** Longest retry delay. @default 30000 */
  retryMaxMs: number;
  /** Reserved key on the target where the status and heartbeat are published; undefined publishes nothing. */
  statusKey: string | undefined;
  /** How often status is reported (onStatus) and published. @default 1000 */
  statusEveryMs: number;
}

export const defaultSyncOptions: SyncOptions = {
  match: '*',
  configureNotifications: false,
  stateDir: '.migrate',
  maxRetries: 10,
  drainTimeoutMs: 10_000,
  skipInitialCopy: false,
  batch: 500,
  concurrency: 4,
  rate: undefined,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  statusKey: syncStatusKey,
  statusEveryMs: 1000,
};
