/**
 * The migrating client with a cluster target, the stage moved by the built CLI beside a `migrate sync` process:
 * mirrors to every master, switches the primary to the cluster with the fenced step, then mirrors back from it
 * reading keys declared per slot (ElastiCache Serverless's rule), and runs pipelines and transactions of one hash
 * tag there, as ioredis's Cluster does.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratingClient, type MigratingRedis } from '../src/client/index.js';
import { migrateSwitch, startSyncCli } from './support/cli.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';
import { notifyArgs, waitFor } from './support/sync.js';

afterAll(stopAll);

describe('a cluster target', () => {
  let source: TestServer;
  let cluster: TestCluster;
  let sync: Awaited<ReturnType<typeof startSyncCli>> | undefined;
  let redis: MigratingRedis;
  let onSource: Redis;
  let onCluster: Cluster;
  const keys = Array.from({ length: 60 }, (_, i) => `user:${i}`);
  const drained = () => waitFor('mirror drained', () => redis.migrationStats().mirror.queued === 0);
  const expectBothHold = async (names: string[]) => {
    for (const key of names) expect(await onCluster.get(key), key).toBe(await onSource.get(key));
  };

  const migrate = (command: 'cutover' | 'rollback', ...flags: string[]) =>
    migrateSwitch(command, ['--source', source.url, '--target', cluster.url], '--wait', '20', ...flags);

  beforeAll(async () => {
    [source, cluster] = await Promise.all([startRedis({ args: notifyArgs }), startCluster()]);
    sync = await startSyncCli(['--source', source.url, '--target', cluster.url]);
    redis = createMigratingClient({
      source: source.url,
      target: { cluster: cluster.url },
      shadowSampleRate: 1,
    });
    onSource = source.client();
    onCluster = cluster.client();
  });
  afterAll(async () => {
    await redis?.quit();
    onSource?.disconnect();
    onCluster?.disconnect();
    await sync?.stop();
  });

  it('mirrors keys of every slot to the masters that own them', async () => {
    await migrate('cutover');
    for (const key of keys) await redis.set(key, `v:${key}`);
    await redis.multi().incr('{acct:1}:n').set('{acct:1}:at', 'now').exec();
    await drained();
    await expectBothHold([...keys, '{acct:1}:n', '{acct:1}:at']);
    expect(redis.migrationStats().mirror.failures).toBe(0);
  });

  it('moves the primary to the cluster, then mirrors back from it with keys declared per slot', async () => {
    await migrate('cutover', '--to', 'shadow');
    for (const percent of [50, 100]) {
      const report = await migrate('cutover', '--to', 'live', '--percent', String(percent));
      expect(report.steps[0]!.move?.fencedEpoch).toBe(report.new.epoch - 1);
      for (const key of keys) await redis.append(key, `+${percent}`);
    }
    const results = await redis.pipeline().incr('{acct:1}:n').get('{acct:1}:n').exec();
    expect(results).toEqual([
      [null, 2],
      [null, '2'],
    ]);
    await drained();
    expect(await onCluster.get('user:7')).toBe('v:user:7+50+100');
    await expectBothHold([...keys, '{acct:1}:n']);
    for (const key of keys.slice(0, 10)) await redis.get(key);
    await waitFor('shadow compares', () => redis.migrationStats().shadow.compared >= 10);
    expect(redis.migrationStats().shadow.mismatches).toBe(0);
    expect(redis.migrationStats().mirror.failures).toBe(0);
  });
});
