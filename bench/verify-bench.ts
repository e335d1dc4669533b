/** Bench section for `migrate verify`: full verify against the copy of the same dataset, in the same run. */
import { seedBenchData } from '../fixtures/dataset.js';
import { flushAll } from '../test/support/servers.js';
import { tempDir } from '../test/support/temp-dir.js';
import type { BenchSection } from './run.js';
import { benchVerify } from './verify.js';

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
    const dataset = `mixed ${keys / 1000}k`;
    const row = (name: string, keysPerSec: number, perKey: number) => ({
      name,
      dataset,
      keys: result.keys,
      keysPerSec,
      peakRss: undefined,
      cpuMs: undefined,
      sourceCommands: perKey * result.keys,
      equal: result.verifyOk,
    });
    return {
      rows: [
        row('copy (in-process, before verify)', result.copyKeysPerSec, result.copySourceCommandsPerKey),
        row('migrate verify --full', result.verifyKeysPerSec, result.verifySourceCommandsPerKey),
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
