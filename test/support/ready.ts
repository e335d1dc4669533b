import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls with a raw PING until the server answers. Any reply but -LOADING counts as up: a server
 * started with --requirepass answers -NOAUTH, which still proves it accepts connections.
 * `failed()` lets the caller stop early (e.g. the process already exited) with a useful message.
 */
export async function waitUntilReady(
  host: string,
  port: number,
  failed: () => string | undefined = () => undefined,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed();
    if (reason) throw new Error(`server on port ${port} did not start: ${reason}`);
    const reply = await pingOnce(host, port);
    if (reply !== undefined && !reply.startsWith('-LOADING')) return;
    if (Date.now() > deadline) throw new Error(`server on port ${port} not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** First reply line to PING, or undefined if nothing answered. */
function pingOnce(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = '';
    const finish = (line?: string) => {
      socket.destroy();
      resolve(line);
    };
    socket.setTimeout(1_000, () => finish());
    socket.once('error', () => finish());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) finish(received.slice(0, end));
    });
  });
}
