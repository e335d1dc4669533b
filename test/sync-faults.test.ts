/** `syncKeys` under trouble: a dropped subscription, a target that restarts, keys that keep failing, a stop mid-outage. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { seedTypeSamples } from '../fixtures/dataset.js';
import type { SyncStatus } from '../src/control/sync-status.js';
import { openEndpoint } from '../src/redis/connect.js';
import { cmd } from '../src/redis/port.js';
import { defaultSyncOptions } from '../src/sync/options.js';
import { syncKeys } from '../src/sync/sync-keys.js';
import { startRedis, stopAll } from './support/servers.js';
import {
  expectConverged,
  notifyArgs,
  syncWhile,
  tempStateDir,
  waitFor,
  writeChanges,
} from './support/sync.js';
import { startTcpProxy } from './support/tcp-proxy.js';

afterAll(stopAll);

describe('migrate sync under faults', () => {
  it('detects a subscription killed by the server (CLIENT KILL TYPE pubsub), reconciles, and converges', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    const sourceClient = source.client();
    const admin = source.client();
    await seedTypeSamples(sourceClient, 'seed:');
    const stopWriting = new AbortController();
    const { report, statuses } = await syncWhile(source, target, async () => {
      const writing = writeChanges(sourceClient, 'g:', stopWriting.signal);
      await sleep(500);
      for (let i = 0; i < 3; i++) {
        // Sent together, so these changes land while no subscriber listens: only reconciliation can carry them.
        const killed = await admin
          .multi()
          .client('KILL', 'TYPE', 'pubsub')
          .del(`seed:${['hash', 'list', 'set'][i]}`)
          .exec();
        expect(killed?.[0]?.[1]).toBe(1);
        await sleep(400);
      }
      stopWriting.abort();
      await writing;
    });
    expect(report.gaps).toBeGreaterThanOrEqual(1);
    expect(report.reconciliations).toBeGreaterThanOrEqual(1);
    expect(Math.max(...statuses.map((s) => s.gaps))).toBeGreaterThanOrEqual(1);
    await expectConverged(source, sourceClient, target, target.client());
  }, 40_000);

  it('rides out a target killed and restarted mid-sync, down longer than a one-shot command waits: retried, reconciled, no dead letters', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    const sourceClient = source.client();
    await seedTypeSamples(sourceClient, 'seed:');
    // Copy and verify give up after ~20 s of attempts; shrunk here to ~0.1 s so a 3 s outage outlasts it many times.
    const shortReconnect = { attempts: 3, stepMs: 20, maxDelayMs: 100 };
    // A port opened like sync's but not given to it: proof that this outage closes a bounded client for good.
    const bystander = await openEndpoint({ role: 'target', url: target.url, reconnect: shortReconnect });
    const stopWriting = new AbortController();
    const { report, statuses } = await syncWhile(
      source,
      target,
      async () => {
        const writing = writeChanges(sourceClient, 'o:', stopWriting.signal);
        await sleep(500);
        await target.kill('SIGKILL');
        await sleep(3000); // writes keep coming; their copies fail and wait in the retry queue
        await target.restart();
        await sleep(1000);
        stopWriting.abort();
        await writing;
      },
      // Retry budget (10 attempts, ≥ 5.5 s of backoff alone) longer than the outage: nothing may be dead-lettered.
      { retryBaseMs: 100, retryMaxMs: 2000 },
      false,
      shortReconnect,
    );
    const [afterOutage] = await bystander.exec([cmd('PING', [])]).catch((error: Error) => [error]);
    expect(String(afterOutage)).toMatch(/Connection is closed/);
    await bystander.close();
    expect(Math.max(...statuses.map((s) => s.retryQueue))).toBeGreaterThan(0);
    expect(report.deadLetters).toEqual([]);
    expect(report.gaps).toBeGreaterThanOrEqual(1); // the restarted (empty) target was noticed and reconciled
    expect(report.drained).toBe(true);
    await expectConverged(source, sourceClient, target, target.client());
  }, 30_000);

  it('after a network outage longer than the retry budget, retries at once, dead letters included, and converges', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    const proxy = await startTcpProxy(target.host, target.port);
    const sourceClient = source.client();
    await seedTypeSamples(sourceClient, 'seed:');
    const stopWriting = new AbortController();
    const { report, statuses } = await syncWhile(
      source,
      { url: proxy.url },
      async ({ latest }) => {
        const writing = writeChanges(sourceClient, 'n:', stopWriting.signal);
        await sleep(500);
        proxy.cut(); // the target keeps its data and run_id: no restart for a reconciliation to notice
        await sleep(500);
        stopWriting.abort(); // the last changes land during the outage: only their retries can carry them
        await writing;
        await waitFor('dead letters', () => (latest()?.deadLetters ?? 0) > 0);
        await sleep(500);
        proxy.restore();
      },
      { maxRetries: 3, retryBaseMs: 50, retryMaxMs: 100 },
      false,
      { attempts: 3, stepMs: 20, maxDelayMs: 100 },
    );
    await proxy.stop();
    expect(Math.max(...statuses.map((s) => s.deadLetters))).toBeGreaterThan(0);
    expect(report.deadLetters).toEqual([]);
    expect(report.gaps).toBe(0);
    expect(report.drained).toBe(true);
    await expectConverged(source, sourceClient, target, target.client());
  }, 30_000);

  it('dead-letters a key after --max-retries, keeps the queue durable, and applies it once the target recovers', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    const sourceClient = source.client();
    const targetClient = target.client();
    const stateDir = tempStateDir();
    const options = {
      ...defaultSyncOptions,
      stateDir,
      statusEveryMs: 50,
      maxRetries: 3,
      retryBaseMs: 20,
      retryMaxMs: 40,
      drainTimeoutMs: 300,
    };
    /** One sync process's life: started with `overrides`, stopped (and its ports closed) by `stop()`. */
    const startRun = async (overrides: Partial<typeof options> = {}) => {
      const src = await openEndpoint({ role: 'source', url: source.url });
      const tgt = await openEndpoint({ role: 'target', url: target.url });
      const statuses: SyncStatus[] = [];
      const abort = new AbortController();
      const running = syncKeys(
        src,
        tgt,
        { ...options, ...overrides },
        { signal: abort.signal, onStatus: (s) => statuses.push(s) },
      );
      const latest = () => statuses.at(-1);
      await waitFor('streaming', () => latest()?.stage === 'streaming');
      const stop = async () => {
        abort.abort();
        const report = await running;
        await src.close();
        await tgt.close();
        return report;
      };
      return { latest, stop };
    };

    // Run 1: the target refuses writes (out of memory); one key exhausts its retries, another is still queued at stop.
    const first = await startRun();
    await targetClient.config('SET', 'maxmemory', '1');
    await sourceClient.set('dl:dead', 'x'.repeat(1000));
    await waitFor('a dead letter', () => first.latest()?.deadLetters === 1);
    let report = await first.stop();
    expect(report.deadLetters).toMatchObject([{ key: 'dl:dead', attempts: 3 }]);
    expect(report.deadLetters[0]?.lastError).toMatch(/OOM/);
    expect(report.drained).toBe(true);

    // Run 2 (still full): a new change waits in the retry queue when the stop comes; the queue file keeps it.
    const second = await startRun({ maxRetries: 1000, skipInitialCopy: true });
    await sourceClient.set('dl:queued', 'y'.repeat(1000));
    await waitFor('a retry', () => (second.latest()?.retryQueue ?? 0) >= 1); // the dead letter stays dead
    report = await second.stop();
    expect(report.drained).toBe(false);
    const saved = JSON.parse(readFileSync(join(stateDir, 'sync-queue.json'), 'utf8')) as {
      retry: Array<{ key: string }>;
    };
    expect(saved.retry.map((e) => Buffer.from(e.key, 'base64').toString())).toContain('dl:queued');

    // Run 3, target healthy again, no initial copy: the saved queue and the dead letter are applied.
    await targetClient.config('SET', 'maxmemory', '0');
    const third = await startRun({ maxRetries: 1000, skipInitialCopy: true });
    await waitFor('applied', async () => (await targetClient.exists('dl:queued', 'dl:dead')) === 2);
    await waitFor('empty queue', () => third.latest()?.queueDepth === 0 && third.latest()?.deadLetters === 0);
    report = await third.stop();
    expect(report.drained).toBe(true);
    expect(report.deadLetters).toEqual([]);
  }, 40_000);

  it('turns notifications on with --configure-notifications', async () => {
    const source = await startRedis();
    const target = await startRedis();
    const [src, tgt] = [
      await openEndpoint({ role: 'source', url: source.url }),
      await openEndpoint({ role: 'target', url: target.url }),
    ];
    const stop = new AbortController();
    stop.abort(); // subscribe, check, copy nothing, stop at once
    await syncKeys(
      src,
      tgt,
      { ...defaultSyncOptions, stateDir: tempStateDir(), configureNotifications: true },
      { signal: stop.signal },
    );
    const [, flags] = (await source.client().config('GET', 'notify-keyspace-events')) as string[];
    expect(flags).toMatch(/E/);
    expect(flags).toMatch(/A|g.*x/);
    await src.close();
    await tgt.close();
  }, 20_000);
});
