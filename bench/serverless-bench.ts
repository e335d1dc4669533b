/**
 * Bench section: struct copy and `verify --full` of the mixed dataset onto the Serverless-rules endpoint (TLS front,
 * keys declared one slot per call) against the same onto a plain one-node cluster (keys undeclared, one call per
 * node), interleaved in the same run. Also runs alone: `npx tsx bench/serverless-bench.ts [keys]` (default 200000)
 * starts its own source. The front runs in this process: its CPU is reported apart from the tool's.
 */
import { seedBenchData } from '../fixtures/dataset.js';
import { startPair, stopAll, stopServersOnSignal } from '../fixtures/servers.js';
import { startOneNodeCluster } from '../test/support/cluster.js';
import { startServerlessEndpoint } from '../test/support/serverless-endpoint.js';
import { digest, flushAll, type TestServer } from '../test/support/servers.js';
import { type Row, renderTable, renderTargets, type Target } from './report.js';
import type { BenchSection } from './run.js';
import { type CopyRun, toolCopy, toolVerify } from './runs.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

interface Contender {
  name: string;
  url: string;
  flags: string[];
  /** Where DEBUG DIGEST reads the target (the endpoint refuses DEBUG: its backend, directly). */
  server: TestServer;
}

export const bench: BenchSection = async ({ source, keys }) => {
  await flushAll(source);
  const client = source.client();
  try {
    await seedBenchData(client, { keys });
  } finally {
    client.disconnect();
  }
  const [plain, endpoint] = await Promise.all([
    startOneNodeCluster('redis-7.0'),
    startServerlessEndpoint({ engine: 'redis-7.0' }),
  ]);
  const contenders: Contender[] = [
    { name: 'plain one-node cluster', url: plain.url, flags: [], server: plain },
    {
      name: 'Serverless-rules endpoint (TLS front)',
      url: endpoint.url,
      flags: ['--tls-ca', endpoint.ca],
      server: endpoint.backend,
    },
  ];
  const sourceDigest = await digest(source);
  const dataset = `mixed ${keys / 1000}k`;
  const best = new Map<string, Row>();
  const keep = (row: Row) => {
    const previous = best.get(row.name);
    best.set(
      row.name,
      !previous || row.keysPerSec > previous.keysPerSec
        ? { ...row, equal: row.equal && (previous?.equal ?? true) }
        : { ...previous, equal: previous.equal && row.equal },
    );
  };
  const frontCpu: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const contender of contenders) {
      await flushAll(contender.server);
      const measure = async (what: string, run: () => Promise<CopyRun>, check: () => Promise<boolean>) => {
        process.stderr.write(`[round ${round}/${rounds}] ${what} onto ${contender.name}… `);
        const before = process.cpuUsage();
        const result = await run();
        const front = process.cpuUsage(before);
        if (contender.server !== plain) frontCpu.push(Math.round((front.user + front.system) / result.keys));
        const equal = await check();
        process.stderr.write(`${result.keysPerSec} keys/s, ${equal ? 'EQUAL' : 'DIFFERENT'}\n`);
        keep({ ...result, name: `${what} onto ${contender.name}`, dataset, equal });
      };
      await measure(
        'copy --mode struct',
        () => toolCopy(source.url, contender.url, ['--mode', 'struct', ...contender.flags]),
        async () => (await digest(contender.server)) === sourceDigest,
      );
      // Equal when verify says so (it leaves its outcome on the target, so the digest no longer matches).
      let verified = false;
      await measure(
        'verify --full',
        async () => {
          const run = await toolVerify(source.url, contender.url, ['--full', '--quiet', ...contender.flags]);
          verified = run.ok;
          return run;
        },
        async () => verified,
      );
    }
  }
  await Promise.all([plain.stop(), endpoint.stop()]);
  const rows = [...best.values()];
  const ratio = (what: string) =>
    best.get(`${what} onto ${contenders[1]!.name}`)!.keysPerSec /
    best.get(`${what} onto ${contenders[0]!.name}`)!.keysPerSec;
  const targets: Target[] = [
    {
      label: 'struct copy onto Serverless rules vs plain one-node cluster, keys/s',
      measured: ratio('copy --mode struct'),
      min: 0.7,
    },
    {
      label: 'verify --full onto Serverless rules vs plain one-node cluster, keys/s',
      measured: ratio('verify --full'),
      min: 0.7,
    },
  ];
  process.stderr.write(`Serverless-rules front CPU µs/key (this process), per run: ${frontCpu.join(', ')}\n`);
  return { rows, targets };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  stopServersOnSignal();
  const keys = Number(process.argv[2] ?? 200_000);
  const { source, target } = await startPair();
  try {
    await target.stop();
    const { rows, targets } = await bench({ source, target, keys, equal: async () => true });
    const checks = renderTargets(targets);
    console.log(`${renderTable(rows)}\n\n${checks.text}`);
    process.exitCode = checks.allPass ? 0 : 1;
  } finally {
    await stopAll();
  }
}
