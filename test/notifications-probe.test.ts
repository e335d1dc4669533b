/**
 * Telling whether a target sends keyspace notifications without CONFIG (ElastiCache refuses it, yet a node-based
 * cluster sends them when its parameter group says so): by watching the events of reserved probe keys.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEndpoint } from '../src/redis/connect.js';
import { sendsKeyEvents } from '../src/redis/notifications-probe.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';

afterAll(stopAll);

async function probe(server: TestServer | TestCluster): Promise<boolean> {
  const port = await openEndpoint({ role: 'target', url: server.url });
  try {
    return await sendsKeyEvents(port);
  } finally {
    await port.close();
  }
}

describe('sendsKeyEvents', () => {
  it('sees the events where CONFIG is refused but notifications are on, and leaves no probe key', async () => {
    const server = await startRedis({
      args: ['--notify-keyspace-events', 'KEA', '--rename-command', 'CONFIG', ''],
    });
    expect(await probe(server)).toBe(true);
    expect(await server.client().dbsize()).toBe(0);
  });

  it('says no where notifications are off, or only some classes are on', async () => {
    expect(await probe(await startRedis())).toBe(false);
    expect(await probe(await startRedis({ args: ['--notify-keyspace-events', 'E$'] }))).toBe(false);
  });

  it('probes every master of a cluster', async () => {
    const cluster = await startCluster();
    expect(await probe(cluster)).toBe(false);
    for (const node of cluster.nodes) await node.client().config('SET', 'notify-keyspace-events', 'KEA');
    expect(await probe(cluster)).toBe(true);
  });
});
