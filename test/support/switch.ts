/** Shared by the cutover tests: a healthy sync's published status, a clean saved verify, client heartbeats. */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, type Redis } from 'ioredis';
import { expect } from 'vitest';
import { type ClientHeartbeat, publishHeartbeat } from '../../src/control/heartbeats.js';
import { saveLastVerify } from '../../src/control/last-verify.js';
import { syncStatusKey } from '../../src/control/names.js';
import { readStageRecord, type StageRecord, writeStageRecord } from '../../src/control/stage-record.js';
import type { Stage } from '../../src/control/stages.js';
import { publishStatus, type SyncStatus } from '../../src/control/sync-status.js';
import { openEndpoint } from '../../src/redis/connect.js';
import type { RedisPort } from '../../src/redis/port.js';
import { defaultSyncOptions, type SyncOptions } from '../../src/sync/options.js';
import { type SyncReport, syncKeys } from '../../src/sync/sync-keys.js';
import { startCli } from './cli.js';

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

/** A sync running in this process until stop() (which resolves with its report). */
export async function runSync(
  sourceUrl: string,
  targetUrl: string,
  more: Partial<SyncOptions> = {},
): Promise<{ statuses: SyncStatus[]; stop(): Promise<SyncReport> }> {
  const ports = [
    await openEndpoint({ role: 'source', url: sourceUrl }),
    await openEndpoint({ role: 'target', url: targetUrl }),
  ] as const;
  const statuses: SyncStatus[] = [];
  const stop = new AbortController();
  const running = syncKeys(
    ports[0],
    ports[1],
    {
      ...defaultSyncOptions,
      stateDir: mkdtempSync(join(tmpdir(), 'migrate-switch-')),
      statusEveryMs: 200,
      ...more,
    },
    { signal: stop.signal, onStatus: (s) => statuses.push(s) },
  );
  running.catch(() => {});
  const deadline = Date.now() + 20_000;
  while (statuses.at(-1)?.stage !== 'streaming') {
    if (Date.now() > deadline) throw new Error('the sync did not reach streaming');
    await sleep(50);
  }
  return {
    statuses,
    async stop() {
      stop.abort();
      const report = await running;
      await Promise.all(ports.map((port) => port.close()));
      return report;
    },
  };
}

/** DEBUG DIGEST-VALUE of every key outside the reserved namespace, by key: equal maps mean equal data. */
export async function userKeyDigests(client: Redis | Cluster): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  for (const master of masters) {
    let cursor = '0';
    do {
      const [next, keys] = await master.scan(cursor, 'COUNT', 1000);
      cursor = next;
      const mine = keys.filter((key) => !key.startsWith('__migrate:'));
      if (mine.length === 0) continue;
      const values = (await master.call('DEBUG', 'DIGEST-VALUE', ...mine)) as string[];
      for (const [i, key] of mine.entries()) digests.set(key, values[i]!);
    } while (cursor !== '0');
  }
  return new Map([...digests].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Writes w:<n> and bumps a counter, one write after another, until stopped; resolves with how many it made. */
export function startWriter(client: Redis | Cluster, prefix: string) {
  let stopped = false;
  let acknowledged = 0;
  let lastAckAt = 0;
  let current = client;
  const done = (async () => {
    for (let i = 0; !stopped; ) {
      const using = current;
      try {
        await using.set(`${prefix}${i}`, String(i));
        await using.incr(`${prefix}count`);
      } catch (error) {
        if (using !== current) continue; // moved meanwhile: not acknowledged, so written again on the new primary
        throw error;
      }
      acknowledged = ++i;
      lastAckAt = Date.now();
      await sleep(3);
    }
  })();
  return {
    /**
     * The application moves to another server (as one switched by configuration does): its connection to the old
     * one closes, failing what it had not acknowledged, and every write from then on goes to `next`.
     */
    moveTo(next: Redis | Cluster): void {
      const old = current;
      current = next;
      old.disconnect();
    },
    get acknowledged() {
      return acknowledged;
    },
    get lastAckAt() {
      return lastAckAt;
    },
    async stop(): Promise<number> {
      stopped = true;
      await done;
      return acknowledged;
    },
  };
}

/** The stage record as both servers hold it (the higher epoch), and whether they agree. */
export async function stageRecordOf(sourceUrl: string, target: { url: string; ca?: string }) {
  const ports = {
    source: await openEndpoint({ role: 'source', url: sourceUrl }),
    target: await openEndpoint({ role: 'target', url: target.url, tlsCaFile: target.ca }),
  };
  try {
    const reading = await readStageRecord(ports);
    return { ...reading.record, agree: reading.agree };
  } finally {
    await Promise.all([ports.source.close(), ports.target.close()]);
  }
}

/**
 * A window switch (`args`: the CLI's arguments, --json among them) whose writer stops when the command says so: it
 * must exit 0. Returns its JSON report, how many writes were made, and what it said.
 */
export async function windowSwitch<Report>(args: string[], writer: { stop(): Promise<number> }) {
  const run = startCli(args);
  await run.waitFor(/stop the application's writes/);
  const written = await writer.stop();
  const result = await run.done;
  expect(result.code, result.stderr).toBe(0);
  return { report: JSON.parse(result.stdout) as Report, written, stderr: result.stderr };
}

/** Every write a writer acknowledged (`prefix`0 … `prefix`n-1) is on `server`, each with its own value. */
export async function expectAcknowledgedOn(server: Redis | Cluster, prefix: string, acknowledged: number) {
  const held = await server.mget(Array.from({ length: acknowledged }, (_, i) => `${prefix}${i}`));
  expect(held).toEqual(Array.from({ length: acknowledged }, (_, i) => String(i)));
}
