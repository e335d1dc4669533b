/**
 * Benchmark hook for `migrate verify`: copies a seeded source onto an empty target, then verifies it in full, in
 * the same process and run, and returns the figures the README quotes (keys/s of each, the ratio, and source
 * commands per key). The caller starts the servers and seeds the source (e.g. seedBenchData).
 */
import { copyKeys } from '../src/copy/copy-keys.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { openEndpoint } from '../src/redis/connect.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import { verifyKeys } from '../src/verify/verify-keys.js';

export interface VerifyBenchResult {
  keys: number;
  copyKeysPerSec: number;
  verifyKeysPerSec: number;
  /** verify keys/s ÷ copy keys/s (target: ≥ 0.5). */
  verifyToCopy: number;
  copySourceCommandsPerKey: number;
  verifySourceCommandsPerKey: number;
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
    const copy = await copyKeys(source, target, { ...defaultCopyOptions, mode: 'struct', checkpointFile });
    const full = await verifyKeys(source, target, {
      ...defaultVerifyOptions,
      mode: 'full',
      saveResult: false,
    });
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
      verifyOk: full.ok && sample.ok,
      sampleMs: sample.durationMs,
      sampleSourceCommands: sample.sourceCommands,
    };
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}
