/** Every port closes once: calling close() again is safe, returns the same promise and sends nothing. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEndpoint } from '../src/redis/connect.js';
import { rateLimited } from '../src/redis/rate-limit.js';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

let redis: TestServer;
let observer: Redis;
let rest: TestRestServer;

beforeAll(async () => {
  redis = await startRedis();
  observer = redis.client();
  rest = await startRestServer(redis);
}, 30_000);
afterAll(async () => {
  observer?.disconnect();
  await stopAll();
});

/** QUIT commands the server has run (INFO commandstats counts them). */
async function quits(): Promise<number> {
  const stats = await observer.info('commandstats');
  return Number(/cmdstat_quit:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('close()', () => {
  it('sends one QUIT over TCP however often it is called, at once or later', async () => {
    const port = await openEndpoint({ role: 'source', url: redis.url });
    const before = await quits();
    const first = port.close();
    const second = port.close();
    expect(second).toBe(first);
    await expect(Promise.all([first, second])).resolves.toBeDefined();
    const third = port.close();
    expect(third).toBe(first);
    await third;
    expect(await quits()).toBe(before + 1);
  });

  it('is the same once through a rate limiter', async () => {
    const port = rateLimited(await openEndpoint({ role: 'target', url: redis.url }), 100);
    const before = await quits();
    const first = port.close();
    expect(port.close()).toBe(first);
    await first;
    expect(await quits()).toBe(before + 1);
  });

  it('sends no REST request, and returns the same promise each time', async () => {
    const port = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
    rest.resetCounts();
    const first = port.close();
    expect(port.close()).toBe(first);
    await first;
    expect(port.close()).toBe(first);
    expect(rest.commands).toBe(0);
    expect(Object.values(rest.requests).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
