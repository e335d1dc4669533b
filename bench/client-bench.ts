/**
 * Bench section for the client library: 50 concurrent callers, small keys, loopback; the migrating client against
 * plain ioredis in the same run, in stage `source` (target ≤ 5 % slower) and `dual-write` (≤ 20 % slower), with the
 * mirror's lag and the extra source commands per mirrored write (Upstash bills them: ≤ 0.05).
 * Also runs alone: `npx tsx bench/client-bench.ts [slices] [seconds per slice]` (default 10, 0.6).
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startPair, stopAll, stopServersOnSignal } from '../fixtures/servers.js';
import { createMigratingClient, type MigratingRedis } from '../src/client/index.js';
import { initialRecord, type StageRecord, writeStageRecord } from '../src/control/stage-record.js';
import type { Stage } from '../src/control/stages.js';
import { openEndpoint } from '../src/redis/connect.js';
import { flushAll, type TestServer } from '../test/support/servers.js';
import { startLatencyProxy } from './latency-proxy.js';
import { renderTargets, type Target } from './report.js';
import type { BenchSection } from './run.js';

const callers = 50;
/** Delay each way of the latency proxy in the RTT run. */
const proxyDelayMs = 1.5;
const keySpace = 10_000;
const value = 'x'.repeat(32);

export interface LoadRun {
  name: string;
  stage: Stage;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of this process per command, µs (load on the machine distorts it far less than ops/s). */
  clientCpuUs: number;
  /** CPU of the source and target servers per command, µs. */
  serverCpuUs: number;
  ops: number;
  writes: number;
  /** Commands the client library itself sent to the source (mirror reads, stage polls), per write. */
  extraSourcePerWrite?: number;
  mirrorLagP99Ms?: number;
}

interface Slice {
  ops: number;
  writes: number;
  seconds: number;
  cpuUs: number;
  serverCpuUs: number;
  latencies: number[];
}

/** 50 callers, each alternating SET and GET of small keys for `seconds`: commands, latencies, CPU. */
async function drive(client: Redis, seconds: number, servers: Redis[]): Promise<Slice> {
  const latencies: number[] = [];
  let writes = 0;
  const serverBefore = await serverCpu(servers);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = caller; performance.now() < deadline; i += callers) {
        const key = `bench:client:${(i * 7919) % keySpace}`;
        const at = performance.now();
        if (i % 2 === 0) {
          await client.set(key, value);
          writes++;
        } else await client.get(key);
        latencies.push(performance.now() - at);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ops: latencies.length,
    writes,
    seconds: elapsed,
    cpuUs: cpu.user + cpu.system,
    serverCpuUs: (await serverCpu(servers)) - serverBefore,
    latencies,
  };
}

/** used_cpu_user + used_cpu_sys of the servers, µs. */
async function serverCpu(servers: Redis[]): Promise<number> {
  let total = 0;
  for (const server of servers) {
    const info = await server.info('cpu');
    total +=
      Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  }
  return total * 1e6;
}

function summarize(name: string, stage: Stage, slices: Slice[]): LoadRun {
  const sum = (pick: (slice: Slice) => number) => slices.reduce((total, slice) => total + pick(slice), 0);
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const ops = sum((slice) => slice.ops);
  return {
    name,
    stage,
    opsPerSec: ops / sum((slice) => slice.seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    clientCpuUs: sum((slice) => slice.cpuUs) / ops,
    serverCpuUs: sum((slice) => slice.serverCpuUs) / ops,
    ops,
    writes: sum((slice) => slice.writes),
  };
}

async function setStage(source: TestServer, target: TestServer, stage: Stage, epoch: number): Promise<void> {
  const ports = {
    source: await openEndpoint({ role: 'source', url: source.url }),
    target: await openEndpoint({ role: 'target', url: target.url }),
  };
  const record: StageRecord = { ...initialRecord, stage, epoch, changedAt: Date.now(), reason: 'bench' };
  const from = { stage: 'source' as const, epoch: epoch - 1, percent: 100, fenced: false };
  await writeStageRecord(ports, record, { ...record, from, host: 'bench', pid: process.pid });
  await Promise.all([ports.source.close(), ports.target.close()]);
}

/**
 * Plain ioredis and the client in one stage, in short slices that alternate (which goes first too), so load that
 * comes and goes on the machine falls on both alike. The ratio is the median of the slices' ratios.
 */
async function compare(
  source: TestServer,
  target: TestServer,
  stage: Stage,
  slices: number,
  sliceSeconds: number,
  /** Where both contenders reach the source (a latency proxy), when not directly. */
  sourceUrl = source.url,
): Promise<{ plain: LoadRun; client: LoadRun; ratio: number; spread: string }> {
  const servers = [source.client(), target.client()];
  const plain = new Redis(sourceUrl);
  const client: MigratingRedis = createMigratingClient({ source: sourceUrl, target: target.url });
  await drive(plain, 0.5, servers); // warm-up, both
  await drive(client, 0.5, servers);
  await waitMirrored(client);
  const sourcePort = client.migration.sides.source.port;
  const before = sourcePort.stats.commands;
  const plainSlices: Slice[] = [];
  const clientSlices: Slice[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < slices; i++) {
    const runPlain = async () => plainSlices.push(await drive(plain, sliceSeconds, servers));
    const runClient = async () => {
      clientSlices.push(await drive(client, sliceSeconds, servers));
      await waitMirrored(client); // its mirror's work is counted in its own slice
    };
    if (i % 2 === 0) {
      await runPlain();
      await runClient();
    } else {
      await runClient();
      await runPlain();
    }
    const [p, c] = [plainSlices.at(-1)!, clientSlices.at(-1)!];
    ratios.push(c.ops / c.seconds / (p.ops / p.seconds));
  }
  const extra = sourcePort.stats.commands - before;
  const stats = client.migrationStats();
  await client.quit();
  plain.disconnect();
  for (const server of servers) server.disconnect();
  const clientRun = summarize('migrating client', stage, clientSlices);
  if (stage === 'dual-write') {
    clientRun.extraSourcePerWrite = extra / clientRun.writes;
    clientRun.mirrorLagP99Ms = stats.mirror.lagP99Ms;
  }
  ratios.sort((a, b) => a - b);
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  const slower = (r: number) => `${((1 - r) * 100).toFixed(0)} %`;
  const spread = `slices ${slower(ratios.at(-1)!)} … ${slower(ratios[0]!)}`;
  process.stderr.write(
    `[${stage}] client/plain ops per slice: ${ratios.map((r) => r.toFixed(2)).join(' ')}\n`,
  );
  return { plain: summarize('plain ioredis', stage, plainSlices), client: clientRun, ratio, spread };
}

async function waitMirrored(client: MigratingRedis): Promise<void> {
  while (client.migrationStats().mirror.queued > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

export async function benchClient(
  source: TestServer,
  target: TestServer,
  slices = 10,
  sliceSeconds = 0.6,
): Promise<{ runs: LoadRun[]; targets: Target[]; notes: string }> {
  await Promise.all([flushAll(source), flushAll(target)]);
  await setStage(source, target, 'source', 1);
  const atSource = await compare(source, target, 'source', slices, sliceSeconds);
  await setStage(source, target, 'dual-write', 2);
  const dual = await compare(source, target, 'dual-write', slices, sliceSeconds);
  // An application beside Upstash waits a round trip per command: there, the client's CPU is not what limits it.
  const proxy = await startLatencyProxy(source.host, source.port, proxyDelayMs);
  const proxyUrl = `redis://127.0.0.1:${proxy.port}`;
  const dualRtt = await compare(source, target, 'dual-write', slices, sliceSeconds, proxyUrl);
  await proxy.close();
  for (const run of [dualRtt.plain, dualRtt.client]) run.name += `, source RTT +${2 * proxyDelayMs} ms`;
  await Promise.all([flushAll(source), flushAll(target)]);
  const percent = (n: number) => `${(n * 100).toFixed(1)} %`;
  return {
    runs: [atSource.plain, atSource.client, dual.plain, dual.client, dualRtt.plain, dualRtt.client],
    notes: dualWriteCost(dual.plain, dual.client),
    targets: [
      {
        label: `client in stage source, throughput below plain ioredis (median of alternating slices; ${atSource.spread})`,
        measured: 1 - atSource.ratio,
        max: 0.05,
        format: percent,
      },
      {
        label: `client in stage dual-write, throughput below plain ioredis (median of alternating slices; ${dual.spread}; mirror lag p99 ${dual.client.mirrorLagP99Ms ?? Number.NaN} ms)`,
        measured: 1 - dual.ratio,
        max: 0.2,
        format: percent,
      },
      {
        label: `client in stage dual-write with a source RTT of +${2 * proxyDelayMs} ms, throughput below plain ioredis (${dualRtt.spread})`,
        measured: 1 - dualRtt.ratio,
        max: 0.2,
        format: percent,
      },
      {
        label: 'client in dual-write, extra source commands per mirrored write',
        measured: dual.client.extraSourcePerWrite ?? Number.NaN,
        max: 0.05,
        format: (n) => n.toFixed(4),
      },
    ],
  };
}

/**
 * Where dual-write's cost goes: the CPU the client and both servers spend per mirrored write beyond plain ioredis's,
 * beside what one plain command costs them. On loopback all three share the machine's cores, so throughput follows
 * the total.
 */
function dualWriteCost(plain: LoadRun, client: LoadRun): string {
  const perWrite = (extra: number) => ((extra * client.ops) / client.writes).toFixed(1);
  return (
    `dual-write cost per mirrored write: client +${perWrite(client.clientCpuUs - plain.clientCpuUs)} µs CPU, ` +
    `servers +${perWrite(client.serverCpuUs - plain.serverCpuUs)} µs CPU (one plain command: client ` +
    `${plain.clientCpuUs.toFixed(1)} + servers ${plain.serverCpuUs.toFixed(1)} µs)`
  );
}

export function renderRuns(runs: readonly LoadRun[]): string {
  const lines = [
    `| run (${callers} callers, SET/GET of ${keySpace / 1000}k small keys) | stage | ops/s | p50 ms | p99 ms | client CPU µs/op | servers CPU µs/op | extra source cmds / write | mirror lag p99 ms |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of runs) {
    const cells = [
      r.name,
      r.stage,
      r.opsPerSec.toFixed(0),
      r.p50Ms.toFixed(3),
      r.p99Ms.toFixed(3),
      r.clientCpuUs.toFixed(1),
      r.serverCpuUs.toFixed(1),
      r.extraSourcePerWrite === undefined ? '' : r.extraSourcePerWrite.toFixed(4),
      r.mirrorLagP99Ms === undefined ? '' : r.mirrorLagP99Ms.toFixed(1),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export const bench: BenchSection = async ({ source, target }) => {
  const { runs, targets, notes } = await benchClient(source, target);
  console.log(`\nClient library (src/client/):\n${renderRuns(runs)}\n\n${notes}`);
  return { rows: [], targets };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  stopServersOnSignal();
  const slices = Number(process.argv[2] ?? 10);
  const sliceSeconds = Number(process.argv[3] ?? 0.6);
  const { source, target } = await startPair();
  try {
    const { runs, targets, notes } = await benchClient(source, target, slices, sliceSeconds);
    const checks = renderTargets(targets);
    console.log(`${renderRuns(runs)}\n\n${notes}\n\n${checks.text}`);
    process.exitCode = checks.allPass ? 0 : 1;
  } finally {
    await stopAll();
  }
}
