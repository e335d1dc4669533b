/**
 * A TCP source treated as Upstash (EndpointOptions.upstash: a local redis-server cannot be reached under an
 * *.upstash.io name): the fixture dataset copies byte-exact to standalone and cluster targets, reads cost at most 0.1
 * sent commands per key (counted with MONITOR, which tags script-inner commands "lua"), and a quota reply ends the run
 * with exit 3 and a checkpoint that a resumed run completes.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, seedFixtures } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { type CopyOptions, defaultCopyOptions } from '../src/copy/options.js';
import { ExitCode, MigrateError } from '../src/errors.js';
import { openEndpoint } from '../src/redis/connect.js';
import type { RedisPort } from '../src/redis/port.js';
import { readJsonFile } from '../src/state/durable-file.js';
import { withExec } from './support/copy.js';
import { expectSameData, tempCheckpoint } from './support/fidelity.js';
import {
  digest,
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';

let sourceServer: TestServer;
let source: Redis;
let standalone: TestServer;
let cluster: TestCluster;

beforeAll(async () => {
  [sourceServer, standalone, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
  source = sourceServer.client();
}, 60_000);
afterAll(async () => {
  source?.disconnect();
  await stopAll();
});

const options = (overrides: Partial<CopyOptions> = {}): CopyOptions => ({
  ...defaultCopyOptions,
  mode: 'struct',
  onConflict: 'replace',
  checkpointFile: tempCheckpoint(),
  ...overrides,
});

async function copyAsUpstash(
  targetUrl: string,
  copyOptions: CopyOptions,
  wrap: (port: RedisPort) => RedisPort = (p) => p,
  beforeCopy: () => Promise<void> = async () => {},
) {
  const from = await openEndpoint({ role: 'source', url: sourceServer.url, upstash: true });
  const to = await openEndpoint({ role: 'target', url: targetUrl });
  try {
    expect(from.upstash).toBe(true);
    await beforeCopy();
    return await copyKeys(wrap(from), to, copyOptions);
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
}

describe('copy from a TCP source treated as Upstash', () => {
  beforeAll(async () => {
    await flushAll(sourceServer);
    await seedFixtures(source, { bigSize: 2_000, withShortTtls: false });
  });

  it('copies the full fixture dataset to a standalone target, byte-exact', async () => {
    const report = await copyAsUpstash(standalone.url, options());
    expect(report.failed).toBe(0);
    await expectSameData(sourceServer, standalone);
  });

  it('copies the full fixture dataset to a cluster target, byte-exact', async () => {
    const report = await copyAsUpstash(cluster.url, options());
    expect(report.failed).toBe(0);
    await expectSameData(sourceServer, cluster);
  });
});

describe('what a TCP copy from Upstash costs', () => {
  it('sends at most 0.1 commands per key on small keys (MONITOR, script-inner commands excluded)', async () => {
    await flushAll(sourceServer);
    await flushAll(standalone);
    await seedBenchData(source, { keys: 5_000 });
    const monitor = await sourceServer.client().monitor();
    const sent: string[] = [];
    let counting = false;
    monitor.on('monitor', (_time: string, args: string[], origin: string) => {
      if (counting && !origin.includes('lua')) sent.push(String(args[0]).toUpperCase());
    });
    // Counted from after connecting: the connection's own INFO (ready check, detection) is not part of the copy.
    const report = await copyAsUpstash(standalone.url, options(), undefined, async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      counting = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // let MONITOR deliver the last lines
    monitor.disconnect();
    expect(report.failed).toBe(0);
    expect(await digest(standalone)).toBe(await digest(sourceServer));
    const copyCommands = sent.filter((name) => name !== 'QUIT').length; // closing the connection is not a read
    const perKey = copyCommands / report.scanned;
    console.info(
      `TCP source: ${copyCommands} sent commands for ${report.scanned} keys = ${perKey.toFixed(4)} per key`,
    );
    expect(report.sourceCommands).toBe(copyCommands);
    expect(perKey).toBeLessThanOrEqual(0.1);
  });
});

/** The source as Upstash behaves when the plan's limit is reached: every command after `budget` gets `message`. */
function quotaAfter(port: RedisPort, budget: number, message: string): RedisPort {
  let used = 0;
  return withExec(port, async (commands, node) => {
    used += commands.length;
    if (used > budget) {
      port.stats.commands += commands.length;
      return commands.map(() => new Error(message));
    }
    return port.exec(commands, node);
  });
}

describe('Upstash quota replies over TCP', () => {
  beforeAll(async () => {
    await flushAll(sourceServer);
    await seedBenchData(source, { keys: 3_000 });
  });

  it.each([
    'ERR max requests limit exceeded. Limit: 500000, Usage: 500000',
    'ERR max daily request limit exceeded. Limit: 10000, Usage: 10000',
    'ERR max concurrent connections exceeded',
  ])('ends the run with exit 3 and a checkpoint that resumes to a complete copy: %s', async (message) => {
    await flushAll(standalone);
    const copyOptions = options({ batch: 100, concurrency: 1 });
    const stopped = await copyAsUpstash(standalone.url, copyOptions, (port) =>
      quotaAfter(port, 30, message),
    ).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(MigrateError);
    expect((stopped as MigrateError).code).toBe(ExitCode.connect);
    expect((stopped as MigrateError).message).toMatch(/Upstash quota reached/);
    const saved = readJsonFile(copyOptions.checkpointFile) as {
      complete: boolean;
      counts: { copied: number };
    };
    expect(saved.complete).toBe(false);
    expect(saved.counts.copied).toBeGreaterThan(0);
    expect(await digest(standalone)).not.toBe(await digest(sourceServer));

    const resumed = await copyAsUpstash(standalone.url, { ...copyOptions, resume: true });
    expect(resumed.resumed).toBe(true);
    expect(resumed.failed).toBe(0);
    expect(resumed.interrupted).toBe(false);
    expect(await digest(standalone)).toBe(await digest(sourceServer));
  });
});
