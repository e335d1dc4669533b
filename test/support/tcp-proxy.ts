/** A TCP proxy in front of a test server: cut() is a network outage without a restart (same data, same run_id). */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { track, untrack } from './registry.js';

export interface TcpProxy {
  /** redis:// URL of the proxy (no password: use it with servers started without one). */
  readonly url: string;
  /**
   * Drops every connection and, until restore(), resets new ones ('reset'), or accepts them and never answers
   * ('silent': a load balancer whose backend is gone; the client sees a connection that never becomes ready).
   */
  cut(how?: 'reset' | 'silent'): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut: 'reset' | 'silent' | undefined;
  const server = createServer((client) => {
    if (cut === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (cut === 'silent') {
      sockets.add(client);
      client.on('error', () => {});
      client.on('close', () => sockets.delete(client));
      return;
    }
    const upstream = createConnection({ host, port });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const proxy: TcpProxy & { killNow(): void } = {
    url: `redis://127.0.0.1:${address.port}`,
    cut(how = 'reset') {
      cut = how;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = undefined;
    },
    async stop() {
      untrack(proxy);
      proxy.killNow();
      await new Promise((resolve) => server.close(resolve));
    },
    killNow() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
  track(proxy);
  return proxy;
}
