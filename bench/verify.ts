/**
 * Benchmark hook for `migrate verify`: copies a seeded source onto an empty target, then verifies it in full, in
 * the same process and run, and returns the figures the README quotes (keys/s of each, the ratio, source
 * commands per key, and the CPU each spent in this process and in the two servers). The caller starts the
 * servers and seeds the source (e.g. seedBenchData).
 */
import { copyKeys } from '../src/copy/copy-keys.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { openEndpoint } from '../src/redis/connect.js';
import { asText, call, cmd, type RedisPort } from '../src/redis/port.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import { verifyKeys } from '../src/verify/verify-keys.js';

/** CPU spent per key, µs: in this process, and in each server (INFO cpu, summed over masters). */
export interface CpuPerKey {
  client: number;
  source: number;
  target: number;
}

export interface VerifyBenchResult {
  keys: number;
  copyKeysPerSec: number;
  verifyKeysPerSec: number;
  /** verify keys/s ÷ copy keys/s (target: ≥ 0.5). */
  verifyToCopy: number;
  copySourceCommandsPerKey: number;
  verifySourceCommandsPerKey: number;
  copyCpu: CpuPerKey;
  verifyCpu: CpuPerKey;
  verifyOk: boolean;
  sampleMs: number;
  sampleSourceCommands: number;
}

export async function benchVerify(
  sourceUrl: string,
  targetUrl: string,
  checkpointFile: string,
): Promise<VerifyBenchResult> {
  const source = await openEndpoint({ role: 'source', url: sourceUrl });
  const target = await openEndpoint({ role: 'target', url: targetUrl });
  try {
    const copyMeter = await cpuMeter(source, target);
    const copy = await copyKeys(source, target, { ...defaultCopyOptions, mode: 'struct', checkpointFile });
    const copyCpu = await copyMeter.perKey(copy.scanned);
    const verifyMeter = await cpuMeter(source, target);
    const full = await verifyKeys(source, target, {
      ...defaultVerifyOptions,
      mode: 'full',
      saveResult: false,
    });
    const verifyCpu = await verifyMeter.perKey(full.checked);
    const sample = await verifyKeys(source, target, {
      ...defaultVerifyOptions,
      mode: 'sample',
      saveResult: false,
    });
    return {
      keys: full.checked,
      copyKeysPerSec: copy.keysPerSec,
      verifyKeysPerSec: full.keysPerSec,
      verifyToCopy: Math.round((full.keysPerSec / Math.max(copy.keysPerSec, 1)) * 100) / 100,
      copySourceCommandsPerKey: Math.round((copy.sourceCommands / Math.max(copy.scanned, 1)) * 1e5) / 1e5,
      verifySourceCommandsPerKey: full.sourceCommandsPerKey,
      copyCpu,
      verifyCpu,
      verifyOk: full.ok && sample.ok,
      sampleMs: sample.durationMs,
      sampleSourceCommands: sample.sourceCommands,
    };
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}

/** Starts measuring CPU time of this process and of both servers; `perKey` reads the µs spent per key since. */
export async function cpuMeter(source: RedisPort, target: RedisPort) {
  const [sourceBefore, targetBefore] = await Promise.all([serverCpuUs(source), serverCpuUs(target)]);
  const clientBefore = process.cpuUsage();
  return {
    async perKey(keys: number): Promise<CpuPerKey> {
      const client = process.cpuUsage(clientBefore);
      const [sourceAfter, targetAfter] = await Promise.all([serverCpuUs(source), serverCpuUs(target)]);
      const per = (us: number) => Math.round((us / Math.max(keys, 1)) * 10) / 10;
      return {
        client: per(client.user + client.system),
        source: per(sourceAfter - sourceBefore),
        target: per(targetAfter - targetBefore),
      };
    },
  };
}

/** used_cpu_user + used_cpu_sys of every master, µs (the INFO calls are not counted as benchmark commands). */
async function serverCpuUs(port: RedisPort): Promise<number> {
  const commands = port.stats.commands;
  let total = 0;
  for (const node of port.nodes()) {
    const info = asText(await call(port, cmd('INFO', ['cpu']), node));
    for (const name of ['used_cpu_user', 'used_cpu_sys']) {
      total += Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0) * 1e6;
    }
  }
  port.stats.commands = commands;
  return total;
}
