/**
 * A command in flight when its connection is lost fails, instead of waiting for a reconnect that may never come
 * (ioredis holds such commands until it reconnects): a sync's copy slots, and its stop, must not hang on an outage.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEndpoint } from '../src/redis/connect.js';
import { cmd } from '../src/redis/port.js';
import { startRedis, stopAll } from './support/servers.js';
import { waitFor } from './support/sync.js';
import { startTcpProxy } from './support/tcp-proxy.js';

afterAll(stopAll);

describe('a connection lost while a command runs', () => {
  it('fails the command at the loss, while the server stays unreachable', async () => {
    const server = await startRedis();
    const proxy = await startTcpProxy(server.host, server.port);
    const port = await openEndpoint({ role: 'target', url: proxy.url });
    port.keepReconnecting(); // as sync does: the client itself never gives up
    try {
      // BLPOP on an empty list holds the command on the server until the cut.
      const running = port.exec([cmd('BLPOP', ['lost:list', 30], 'lost:list')]);
      const observer = server.client();
      await waitFor('the command on the server', async () =>
        /blocked_clients:[1-9]/.test(await observer.info('clients')),
      );
      observer.disconnect();
      // Reconnects reach a proxy that accepts and never answers: ioredis would hold the command until it is ready.
      proxy.cut('silent');
      await expect(running).rejects.toThrow(/lost while the command ran/);
    } finally {
      await port.close();
      await proxy.stop();
    }
  });
});
