/**
 * Sync under load: while `migrate sync` runs, the real redis-benchmark writes to the source (random keys, SET INCR
 * LPUSH HSET SADD ZADD, its default 50 clients). Reports the writes/s the source achieved, p50/p99/max lag sampled
 * from the engine, whether the target's DEBUG DIGEST equals the source's within 2 s of the load stopping, and the
 * CPU each process spent per source write (stable where the machine's other load skews rates).
 * The status heartbeat key is turned off here, so the digests are compared live, with nothing removed.
 *
 * Source, target, sync and redis-benchmark share this machine's cores. `nice` (CLI: 4th argument, or
 * BENCH_NICE) runs redis-benchmark at that niceness, modelling a load generator on another machine: it then only
 * gets the CPU the rest leaves, so the writes/s it achieves must be read with the lag (both are reported).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncStatus } from '../src/control/sync-status.js';
import { openEndpoint } from '../src/redis/connect.js';
import { defaultSyncOptions } from '../src/sync/options.js';
import { syncKeys } from '../src/sync/sync-keys.js';
import { digest, startRedis, type TestServer } from '../test/support/servers.js';
import { userDigest } from '../test/support/sync.js';
import type { BenchSection } from './run.js';
import { type CpuPerKey, cpuMeter } from './verify.js';

export interface SyncBenchOptions {
  /** How long redis-benchmark writes. @default 20 */
  seconds: number;
  /** Requests per redis-benchmark run (each run does all six commands). @default 20000 */
  requestsPerRun: number;
  /** How long after the load stops the target may take to equal the source. @default 2000 */
  convergeWithinMs: number;
  /** redis-benchmark clients (-c); undefined keeps its default (50). */
  clients: number | undefined;
  /** Niceness redis-benchmark runs at (`nice -n`); undefined runs it like everything else. */
  nice: number | undefined;
}

export interface SyncBenchResult {
  /** The load, as run: the redis-benchmark arguments and niceness. */
  load: string;
  seconds: number;
  sourceWrites: number;
  sourceWritesPerSec: number;
  /** Lag percentiles over time: each sample counts for the time since the one before (a stalled loop is not hidden). */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  lagSamples: number;
  /** From the load stopping to asking for the target's DEBUG DIGEST that came back equal to the source's (undefined: not within 30 s). */
  convergedAfterMs: number | undefined;
  /** convergedAfterMs ≤ convergeWithinMs. */
  converged: boolean;
  events: number;
  applied: number;
  gaps: number;
  /** CPU µs per source write during the load: the sync process (client), and each server. */
  cpuPerWrite: CpuPerKey;
  /**
   * The floor under the lag: after the run, on quiet servers, the slowest single whole-key copy (DUMP, then
   * RESTORE on the target) of the keys redis-benchmark keeps changing. Each change re-copies its key
   * (docs/invariants.md #2), so a key that changes all the time cannot lag less than this.
   */
  hotKeyCopy: { key: string; elements: number; bytes: number; ms: number };
}

const commands = process.env.BENCH_COMMANDS ?? 'set,incr,lpush,hset,sadd,zadd';
const sampleEveryMs = 20;
/** How long the bench keeps comparing digests after the window, to say when the target did converge. */
const giveUpAfterMs = 30_000;

export async function benchSync(partial: Partial<SyncBenchOptions> = {}): Promise<SyncBenchResult> {
  const options: SyncBenchOptions = {
    seconds: 20,
    requestsPerRun: 20_000,
    convergeWithinMs: 2000,
    clients: undefined,
    nice: undefined,
    ...partial,
  };
  const source = await startRedis({ args: ['--notify-keyspace-events', 'KEA'] });
  const target = await startRedis();
  const stateDir = mkdtempSync(join(tmpdir(), 'migrate-sync-bench-'));
  const src = await openEndpoint({ role: 'source', url: source.url });
  const tgt = await openEndpoint({ role: 'target', url: target.url });
  const lags: Array<{ lagMs: number; weightMs: number }> = [];
  let lastSampleAt = 0;
  let loadRunning = false;
  let latest: SyncStatus | undefined;
  const stop = new AbortController();
  const running = syncKeys(
    src,
    tgt,
    {
      ...defaultSyncOptions,
      stateDir,
      statusKey: undefined,
      statusEveryMs: sampleEveryMs,
      batch: Number(process.env.BENCH_BATCH ?? defaultSyncOptions.batch),
      concurrency: Number(process.env.BENCH_CONC ?? defaultSyncOptions.concurrency),
    },
    {
      signal: stop.signal,
      onStatus: (s) => {
        latest = s;
        const now = Date.now();
        if (s.stage === 'streaming' && loadRunning)
          lags.push({ lagMs: s.lagMs, weightMs: now - lastSampleAt });
        lastSampleAt = now;
      },
    },
  );
  const load = redisBenchmarkArgs(source.port, options);
  try {
    while (latest?.stage !== 'streaming') await sleep(20);
    const meter = await cpuMeter(src, tgt);
    loadRunning = true;
    const started = Date.now();
    lastSampleAt = started;
    let sourceWrites = 0;
    while (Date.now() - started < options.seconds * 1000) {
      await run(load);
      sourceWrites += options.requestsPerRun * commands.split(',').length;
    }
    const loadSeconds = (Date.now() - started) / 1000;
    loadRunning = false;
    const stoppedAt = Date.now();
    const cpuPerWrite = await meter.perKey(sourceWrites);
    // DEBUG DIGEST takes ~0.3 s per big key here and digests the data as of its start, so both sides are asked at
    // once, first when sync says it has applied everything, and an equal pair counts from when the target was
    // asked, not from when its slow answer came.
    let convergedAfterMs: number | undefined;
    const sourceDigest = digest(source);
    const targetClient = target.client();
    const caughtUp = () => latest?.queueDepth === 0 && latest.lagMs === 0;
    while (!caughtUp() && Date.now() - stoppedAt <= giveUpAfterMs) await sleep(sampleEveryMs / 2);
    while (Date.now() - stoppedAt <= giveUpAfterMs) {
      const askedAt = Date.now();
      // Sync's copies are stamped (src/keys/stamp.ts): the stamp hashes are the tool's, not data, and would keep
      // the digests apart until they expire; userDigest leaves them out.
      const [fromSource, { digest: fromTarget }] = await Promise.all([
        sourceDigest,
        userDigest(target, targetClient),
      ]);
      if (fromSource === fromTarget) {
        convergedAfterMs = askedAt - stoppedAt;
        break;
      }
      await sleep(50);
    }
    targetClient.disconnect();
    stop.abort();
    const report = await running;
    const hotKeyCopy = await slowestWholeCopy(source, target);
    return {
      load: load.join(' '),
      seconds: Math.round(loadSeconds * 10) / 10,
      sourceWrites,
      sourceWritesPerSec: Math.round(sourceWrites / loadSeconds),
      lagP50Ms: weightedPercentile(lags, 50),
      lagP99Ms: weightedPercentile(lags, 99),
      lagMaxMs: Math.max(0, ...lags.map((s) => s.lagMs)),
      lagSamples: lags.length,
      convergedAfterMs,
      converged: convergedAfterMs !== undefined && convergedAfterMs <= options.convergeWithinMs,
      events: report.events,
      applied: report.applied,
      gaps: report.gaps,
      cpuPerWrite,
      hotKeyCopy,
    };
  } finally {
    stop.abort();
    await running.catch(() => {});
    await src.close();
    await tgt.close();
    await Promise.all([source.stop(), target.stop()]);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The hot keys redis-benchmark's LPUSH, HSET, SADD and ZADD write to, and how to count their elements. */
const hotKeys = { mylist: 'LLEN', myhash: 'HLEN', myset: 'SCARD', myzset: 'ZCARD' } as const;

/** Times one DUMP + RESTORE of each hot key (best of 3, into a scratch key) and returns the slowest. */
async function slowestWholeCopy(
  source: TestServer,
  target: TestServer,
): Promise<SyncBenchResult['hotKeyCopy']> {
  const from = source.client();
  const to = target.client();
  let slowest: SyncBenchResult['hotKeyCopy'] = { key: '', elements: 0, bytes: 0, ms: 0 };
  try {
    for (const [key, count] of Object.entries(hotKeys)) {
      let best = Number.POSITIVE_INFINITY;
      let bytes = 0;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const payload = await from.dumpBuffer(key);
        if (!payload) break;
        await to.restore('bench:scratch', 0, payload, 'REPLACE');
        best = Math.min(best, performance.now() - started);
        bytes = payload.length;
      }
      if (bytes > 0 && best > slowest.ms) {
        const elements = Number(await from.call(count, key));
        slowest = { key, elements, bytes, ms: Math.round(best) };
      }
    }
    await to.del('bench:scratch');
  } finally {
    from.disconnect();
    to.disconnect();
  }
  return slowest;
}

/** The lag below which p% of the load's time was spent. */
function weightedPercentile(samples: ReadonlyArray<{ lagMs: number; weightMs: number }>, p: number): number {
  const sorted = [...samples].sort((a, b) => a.lagMs - b.lagMs);
  const total = sorted.reduce((sum, s) => sum + s.weightMs, 0);
  let seen = 0;
  for (const sample of sorted) {
    seen += sample.weightMs;
    if (seen >= (p / 100) * total) return sample.lagMs;
  }
  return sorted.at(-1)?.lagMs ?? 0;
}

/** The command line of one redis-benchmark run: `nice -n N redis-benchmark …` when a niceness is set. */
function redisBenchmarkArgs(port: number, options: SyncBenchOptions): string[] {
  const args = ['redis-benchmark', '-h', '127.0.0.1', '-p', String(port), '-r', '100000', '-t', commands];
  args.push('-n', String(options.requestsPerRun), '-q');
  if (options.clients !== undefined) args.push('-c', String(options.clients));
  return options.nice === undefined ? args : ['nice', '-n', String(options.nice), ...args];
}

function run([command, ...args]: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

/** The section `npm run bench` adds: the targets (this bench starts its own servers). */
export const bench: BenchSection = async () => {
  const nice = process.env.BENCH_NICE ? Number(process.env.BENCH_NICE) : undefined;
  const result = await benchSync({ nice });
  process.stderr.write(`sync bench: ${JSON.stringify(result)}\n`);
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const load = nice === undefined ? '' : ` (redis-benchmark at nice ${nice})`;
  const hot = result.hotKeyCopy;
  return {
    rows: [],
    targets: [
      {
        label: `sync: source writes/s under redis-benchmark${load}`,
        measured: result.sourceWritesPerSec,
        min: 10_000,
        format: (n) => n.toFixed(0),
      },
      {
        label: `sync: lag p99 (floor: one whole copy of ${hot.key}, ${hot.elements} elements, ${ms(hot.ms)} on quiet servers)`,
        measured: result.lagP99Ms,
        max: 100,
        format: ms,
      },
      {
        label: 'sync: target equal (DEBUG DIGEST) within 2 s of the load stopping',
        measured: result.converged ? 1 : 0,
        min: 1,
      },
    ],
  };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (i: number) => (process.argv[i] ? Number(process.argv[i]) : undefined);
  const seconds = arg(2) ?? 20;
  const nice = arg(5) ?? (process.env.BENCH_NICE ? Number(process.env.BENCH_NICE) : undefined);
  benchSync({ seconds, clients: arg(3), convergeWithinMs: arg(4) ?? 2000, nice }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
