import { dbsize } from '../redis/keyspace.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { reservedPrefix } from '../redis/slot.js';
import { type LastVerify, lastVerifyKey } from '../verify/last-result.js';
import { syncStatusKey } from './options.js';
import { readPublishedStatus, type SyncStatus, staleAfterMs } from './status.js';

/** Where the migration's stage lives on the target (written by cutover). */
export const stageKey = `${reservedPrefix}stage`;

/** Where a migration stands, as the reserved keys on the target tell it. */
export interface MigrationStatus {
  /** The cutover stage, or 'unknown' when nothing set one. */
  stage: string;
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
  const stageText = asText(await call(target, cmd('GET', [stageKey], stageKey)));
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
    stage: stageName(stageText),
    sync,
    lastVerify: parse<LastVerify>(verifyText),
    targetKeys: await dbsize(target),
    sourceKeys: source ? await dbsize(source) : undefined,
  };
}

/** The stage key holds a word, or JSON with a `stage` field. */
function stageName(text: string): string {
  if (text === '') return 'unknown';
  const parsed = parse<{ stage?: unknown }>(text);
  return typeof parsed?.stage === 'string' ? parsed.stage : text;
}

function parse<T>(text: string): T | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
