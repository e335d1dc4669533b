/**
 * The target write path: many keys per script call, one call per node. A node that refuses cross-slot script
 * writes still gets every key (calls per slot, keys declared), and a full target stops the copy even when the first
 * write of a call would not itself be refused (DEL before HSET).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { openEndpoint } from '../src/redis/connect.js';
import { runCli } from './support/cli.js';
import { withExec } from './support/copy.js';
import { expectSameData, tempCheckpoint } from './support/fidelity.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';

afterAll(stopAll);

describe('batched target writes', () => {
  let source: TestServer;
  let hashes: TestServer;
  let cluster: TestCluster;
  let tiny: TestServer;

  beforeAll(async () => {
    [source, hashes, cluster, tiny] = await Promise.all([
      startRedis(),
      startRedis(),
      startCluster(),
      startRedis({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] }),
    ]);
    const client = source.client();
    await seedFixtures(client, { bigSize: 2_000, withShortTtls: false });
    client.disconnect();
    const writer = hashes.client();
    const fields: Record<string, string> = {};
    for (let f = 0; f < 10; f++) fields[`field:${f}`] = 'v'.repeat(1000);
    const pipeline = writer.pipeline();
    for (let i = 0; i < 2000; i++) pipeline.hset(`h:${i}`, fields);
    await pipeline.exec();
    writer.disconnect();
  }, 60_000);

  it('falls back to declared keys, one slot per call, when the target refuses cross-slot script writes', async () => {
    const from = await openEndpoint({ role: 'source', url: source.url });
    const to = await openEndpoint({ role: 'target', url: cluster.url });
    try {
      // ElastiCache Serverless answers a script touching keys of several slots like this.
      const refusal = 'ERR Script attempted to access keys that do not hash to the same slot';
      let batchCalls = 0;
      const refusing = withExec(to, (commands, node) => {
        const batch = commands.filter((c) => c.name === 'EVALSHA' && c.args[1] === 0 && c.args.length === 4);
        batchCalls += batch.length;
        if (batch.length === 0) return to.exec(commands, node);
        return Promise.resolve(commands.map(() => new Error(refusal)));
      });
      const report = await copyKeys(from, refusing, {
        ...defaultCopyOptions,
        mode: 'struct',
        concurrency: 1,
        checkpointFile: tempCheckpoint(),
      });
      expect(report.failed).toBe(0);
      expect(report.copied).toBe(report.scanned);
      // Refused once, then never sent again.
      expect(batchCalls).toBeGreaterThan(0);
      expect(batchCalls).toBeLessThanOrEqual(cluster.nodes.length);
      await expectSameData(source, cluster);
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
  }, 60_000);

  it('stops with exit 1 when the target runs out of memory while hashes are written', async () => {
    const result = await runCli([
      'copy',
      '--source',
      hashes.url,
      '--target',
      tiny.url,
      '--mode',
      'struct',
      '--checkpoint',
      tempCheckpoint(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/target is out of memory/);
    const client = tiny.client();
    // It stopped near the limit instead of writing all 20 MB past it.
    expect(Number(await client.dbsize())).toBeLessThan(1000);
    client.disconnect();
  }, 60_000);
});
