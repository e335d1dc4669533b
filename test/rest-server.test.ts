/** The REST test server speaks Upstash's wire protocol: the real @upstash/redis SDK drives it. */
import { Redis as Upstash } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

let redis: TestServer;
let rest: TestRestServer;
let sdk: Upstash;

beforeAll(async () => {
  redis = await startRedis();
  rest = await startRestServer(redis);
  sdk = new Upstash({
    url: rest.url,
    token: rest.token,
    automaticDeserialization: false,
    retry: false,
    enableTelemetry: false,
  });
}, 30_000);
afterAll(stopAll);

describe('REST test server, driven by @upstash/redis', () => {
  it('runs single commands with base64-encoded results and a plain "OK"', async () => {
    expect(await sdk.set('sdk:a', 'héllo 🌍')).toBe('OK');
    expect(await sdk.get('sdk:a')).toBe('héllo 🌍');
    expect(await sdk.incr('sdk:n')).toBe(1);
    expect(await sdk.get('sdk:missing')).toBeNull();
    expect(await sdk.type('sdk:a')).toBe('string');
  });

  it('runs pipelines and transactions, one result per command', async () => {
    const pipeline = sdk.pipeline();
    pipeline.set('sdk:p', 'x');
    pipeline.rpush('sdk:list', 'a', 'b');
    pipeline.lrange('sdk:list', 0, -1);
    expect(await pipeline.exec()).toEqual(['OK', 2, ['a', 'b']]);
    const tx = sdk.multi();
    tx.incr('sdk:tx');
    tx.incr('sdk:tx');
    expect(await tx.exec()).toEqual([1, 2]);
    expect(rest.requests['/pipeline']).toBeGreaterThanOrEqual(1);
    expect(rest.requests['/multi-exec']).toBe(1);
  });

  it('answers a failed command with HTTP 400 and its error', async () => {
    await sdk.set('sdk:str', 'v');
    await expect(sdk.lpush('sdk:str', 'x')).rejects.toThrow(/WRONGTYPE/);
  });

  it('refuses a wrong token with 401', async () => {
    const intruder = new Upstash({ url: rest.url, token: 'wrong', retry: false, enableTelemetry: false });
    await expect(intruder.get('sdk:a')).rejects.toThrow(/Unauthorized/);
  });

  it('counts every pipeline entry as one billed command', async () => {
    rest.resetCounts();
    const pipeline = sdk.pipeline();
    for (let i = 0; i < 5; i++) pipeline.get(`sdk:${i}`);
    await pipeline.exec();
    expect(rest.commands).toBe(5);
  });

  it('shows why the SDK is kept off the data path: by default it reinterprets values', async () => {
    const reinterpreting = new Upstash({
      url: rest.url,
      token: rest.token,
      retry: false,
      enableTelemetry: false,
    });
    await sdk.set('sdk:json', '{"a":1}');
    await sdk.set('sdk:num', '123');
    expect(await reinterpreting.get('sdk:json')).toEqual({ a: 1 });
    expect(await reinterpreting.get('sdk:num')).toBe(123);
  });

  it('injects a quota error after a number of commands', async () => {
    rest.inject({ afterCommands: 1, message: 'ERR max requests limit exceeded. Limit: 1, Usage: 1' });
    try {
      expect(await sdk.get('sdk:a')).toBe('héllo 🌍');
      await expect(sdk.get('sdk:a')).rejects.toThrow(/max requests limit exceeded/);
    } finally {
      rest.inject(undefined);
    }
  });
});
