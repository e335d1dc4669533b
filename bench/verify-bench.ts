/**
 * Bench section for `migrate verify`: full verify against the copy of the same dataset, in the same run.
 * Also runs alone: `npx tsx bench/verify-bench.ts [keys]` (default 200000) starts two servers and prints the rows,
 * the targets and the CPU per key of this process and of each server, for copy and verify.
 */
import { seedBenchData } from '../fixtures/dataset.js';
import { digest, startPair, stopAll, stopServersOnSignal } from '../fixtures/servers.js';
import { flushAll } from '../test/support/servers.js';
import { tempDir } from '../test/support/temp-dir.js';
import { renderTable, renderTargets } from './report.js';
import type { BenchSection } from './run.js';
import { benchVerify, type CpuPerKey } from './verify.js';

export const bench: BenchSection = async ({ source, target, keys, equal }) => {
  await Promise.all([flushAll(source), flushAll(target)]);
  const client = source.client();
  try {
    await seedBenchData(client, { keys });
  } finally {
    client.disconnect();
  }
  const dir = tempDir();
  try {
    const result = await benchVerify(source.url, target.url, dir.file('verify-bench.json'));
    process.stderr.write(
      `verify bench CPU µs/key (client/source/target): copy ${cpuText(result.copyCpu)}, verify --full ${cpuText(result.verifyCpu)}\n`,
    );
    const dataset = `mixed ${keys / 1000}k`;
    const row = (name: string, keysPerSec: number, perKey: number, cpu: CpuPerKey) => ({
      name,
      dataset,
      keys: result.keys,
      keysPerSec,
      peakRss: undefined,
      cpuMs: (cpu.client * result.keys) / 1000,
      sourceCommands: perKey * result.keys,
      equal: result.verifyOk,
    });
    return {
      rows: [
        row(
          'copy (in-process, before verify)',
          result.copyKeysPerSec,
          result.copySourceCommandsPerKey,
          result.copyCpu,
        ),
        row(
          'migrate verify --full',
          result.verifyKeysPerSec,
          result.verifySourceCommandsPerKey,
          result.verifyCpu,
        ),
      ],
      targets: [
        { label: 'verify --full vs copy keys/s', measured: result.verifyToCopy, min: 0.5 },
        {
          label: 'verify --full keys/s',
          measured: result.verifyKeysPerSec,
          min: 100_000,
          format: (n) => n.toFixed(0),
        },
        {
          label: 'verify --full source commands per key minus the copy’s',
          measured: result.verifySourceCommandsPerKey - result.copySourceCommandsPerKey,
          max: 0,
          format: (n) => n.toFixed(5),
        },
        { label: 'target equal after verify (DEBUG DIGEST)', measured: (await equal()) ? 1 : 0, min: 1 },
      ],
    };
  } finally {
    dir.remove();
  }
};

const cpuText = (cpu: CpuPerKey) => `${cpu.client}/${cpu.source}/${cpu.target}`;

if (import.meta.url === `file://${process.argv[1]}`) {
  stopServersOnSignal();
  const keys = Number(process.argv[2] ?? 200_000);
  const { source, target } = await startPair();
  try {
    const equal = async () => (await digest(source)) === (await digest(target));
    const { rows, targets } = await bench({ source, target, keys, equal });
    const checks = renderTargets(targets);
    console.log(`${renderTable(rows)}\n\n${checks.text}`);
    process.exitCode = checks.allPass ? 0 : 1;
  } finally {
    await stopAll();
  }
}
