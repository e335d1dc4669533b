/**
 * Sync under load: while `migrate sync` runs, the real redis-benchmark writes to the source (random keys, SET INCR
 * LPUSH HSET SADD ZADD, its default 50 clients). Reports the writes/s the source achieved, p50/p99 lag sampled from
 * the engine, and whether the target's DEBUG DIGEST equals the source's within 2 s of the load stopping.
 * The status heartbeat key is turned off here, so the digests are compared live, with nothing removed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEndpoint } from '../src/redis/connect.js';
import { defaultSyncOptions } from '../src/sync/options.js';
import type { SyncStatus } from '../src/sync/status.js';
import { syncKeys } from '../src/sync/sync-keys.js';
import { digest, startRedis, stopAll } from '../test/support/servers.js';

export interface SyncBenchOptions {
  /** How long redis-benchmark writes. @default 20 */
  seconds: number;
  /** Requests per redis-benchmark run (each run does all six commands). @default 20000 */
  requestsPerRun: number;
  /** How long after the load stops the target may take to equal the source. @default 2000 */
  convergeWithinMs: number;
  /** redis-benchmark clients (-c); undefined keeps its default (50). */
  clients: number | undefined;
}

export interface SyncBenchResult {
  seconds: number;
  sourceWrites: number;
  sourceWritesPerSec: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  lagSamples: number;
  /** Time from the load stopping to equal digests, or undefined if not equal within convergeWithinMs. */
  convergedAfterMs: number | undefined;
  converged: boolean;
  events: number;
  applied: number;
  gaps: number;
}

const commands = process.env.BENCH_COMMANDS ?? 'set,incr,lpush,hset,sadd,zadd';

export async function benchSync(partial: Partial<SyncBenchOptions> = {}): Promise<SyncBenchResult> {
  const options: SyncBenchOptions = {
    seconds: 20,
    requestsPerRun: 20_000,
    convergeWithinMs: 2000,
    clients: undefined,
    ...partial,
  };
  const source = await startRedis({ args: ['--notify-keyspace-events', 'KEA'] });
  const target = await startRedis();
  const stateDir = mkdtempSync(join(tmpdir(), 'migrate-sync-bench-'));
  const src = await openEndpoint({ role: 'source', url: source.url });
  const tgt = await openEndpoint({ role: 'target', url: target.url });
  const lags: number[] = [];
  let latest: SyncStatus | undefined;
  const stop = new AbortController();
  const running = syncKeys(
    src,
    tgt,
    {
      ...defaultSyncOptions,
      stateDir,
      statusKey: undefined,
      statusEveryMs: 20,
      batch: Number(process.env.BENCH_BATCH ?? defaultSyncOptions.batch),
      concurrency: Number(process.env.BENCH_CONC ?? defaultSyncOptions.concurrency),
    },
    {
      signal: stop.signal,
      onStatus: (s) => {
        latest = s;
        if (s.stage === 'streaming' && loadRunning) lags.push(s.lagMs);
      },
    },
  );
  let loadRunning = false;
  try {
    while (latest?.stage !== 'streaming') await sleep(20);
    loadRunning = true;
    const started = Date.now();
    let sourceWrites = 0;
    while (Date.now() - started < options.seconds * 1000) {
      await redisBenchmark(source.port, options.requestsPerRun, options.clients);
      sourceWrites += options.requestsPerRun * commands.split(',').length;
    }
    const loadSeconds = (Date.now() - started) / 1000;
    loadRunning = false;
    const stoppedAt = Date.now();
    let convergedAfterMs: number | undefined;
    const sourceDigest = await digest(source);
    while (Date.now() - stoppedAt <= options.convergeWithinMs) {
      if ((await digest(target)) === sourceDigest) {
        convergedAfterMs = Date.now() - stoppedAt;
        break;
      }
      await sleep(50);
    }
    stop.abort();
    const report = await running;
    const sorted = [...lags].sort((a, b) => a - b);
    const percentile = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    return {
      seconds: Math.round(loadSeconds * 10) / 10,
      sourceWrites,
      sourceWritesPerSec: Math.round(sourceWrites / loadSeconds),
      lagP50Ms: percentile(50),
      lagP99Ms: percentile(99),
      lagMaxMs: sorted.at(-1) ?? 0,
      lagSamples: sorted.length,
      convergedAfterMs,
      converged: convergedAfterMs !== undefined,
      events: report.events,
      applied: report.applied,
      gaps: report.gaps,
    };
  } finally {
    stop.abort();
    await running.catch(() => {});
    await src.close();
    await tgt.close();
    await stopAll();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function redisBenchmark(port: number, requests: number, clients: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-r',
      '100000',
      '-t',
      commands,
      '-n',
      String(requests),
      '-q',
    ];
    if (clients !== undefined) args.push('-c', String(clients));
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-benchmark exited ${code}: ${stderr}`)),
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 20);
  const clients = process.argv[3] ? Number(process.argv[3]) : undefined;
  const convergeWithinMs = process.argv[4] ? Number(process.argv[4]) : 2000;
  benchSync({ seconds, clients, convergeWithinMs }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
