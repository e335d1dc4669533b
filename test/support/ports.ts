import { createServer, type Server } from 'node:net';

/**
 * Distinct free TCP ports on 127.0.0.1, found by letting the OS pick (port 0) and releasing them.
 * All listeners are held open together so the ports are distinct; another process may still grab one
 * before our server binds it, so servers start through startOnFreePort, which chooses again.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected listener address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A server that can be started, and stopped after a failed start. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Creates a server for `fixed` or a free port and starts it; when another process took the port between our probe
 * and the server's bind, stops it and chooses again.
 */
export async function startOnFreePort<S extends Startable>(
  fixed: number | undefined,
  create: (port: number) => S | Promise<S>,
): Promise<S> {
  for (let attempt = 1; ; attempt++) {
    const server = await create(fixed ?? (await freePorts(1))[0]!);
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.stop();
      const portTaken = String(error).includes('Address already in use');
      if (!portTaken || fixed !== undefined || attempt >= 3) throw error;
    }
  }
}
