/** The Upstash REST adapter: byte-exact replies, binary key names, request splitting and HTTP errors. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_BYTES, INVALID_UTF8 } from '../fixtures/dataset.js';
import { ExitCode, MigrateError } from '../src/errors.js';
import { openEndpoint } from '../src/redis/connect.js';
import { cmd, type RedisPort } from '../src/redis/port.js';
import { openRestPort } from '../src/redis/rest/index.js';
import { execScripts, scriptCommand } from '../src/redis/script-runner.js';
import { readBatchScript } from '../src/redis/scripts.js';
import { parseEndpointUrl } from '../src/redis/url.js';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

let redis: TestServer;
let client: Redis;
let rest: TestRestServer;
let port: RedisPort;

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  rest = await startRestServer(redis);
  port = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
}, 30_000);
afterAll(async () => {
  client?.disconnect();
  await stopAll();
});

const binaryKey = Buffer.concat([Buffer.from('rp:bin:'), INVALID_UTF8]);

describe('REST port', () => {
  it('is a standalone Upstash port', () => {
    expect(port.topology).toBe('standalone');
    expect(port.upstash).toBe(true);
    expect(port.nodes()).toEqual(['main']);
    expect(port.label).not.toContain(rest.token);
  });

  it('returns values byte-exact: binary, numbers-as-text, JSON-looking text, "OK"', async () => {
    await client.set('rp:bytes', ALL_BYTES);
    await client.mset('rp:007', '007', 'rp:json', '{"a":1}', 'rp:ok', 'OK');
    const [bytes, zeros, json, ok, missing, set] = await port.exec([
      cmd('GET', ['rp:bytes'], 'rp:bytes'),
      cmd('GET', ['rp:007'], 'rp:007'),
      cmd('GET', ['rp:json'], 'rp:json'),
      cmd('GET', ['rp:ok'], 'rp:ok'),
      cmd('GET', ['rp:none'], 'rp:none'),
      cmd('SET', ['rp:set', 'v'], 'rp:set'),
    ]);
    expect(bytes).toEqual(ALL_BYTES);
    expect(zeros).toEqual(Buffer.from('007'));
    expect(json).toEqual(Buffer.from('{"a":1}'));
    expect(ok).toEqual(Buffer.from('OK'));
    expect(missing).toBeNull();
    expect(set).toEqual(Buffer.from('OK'));
  });

  it('keeps numbers as numbers and nests arrays', async () => {
    await client.xadd('rp:stream', '1-1', 'f', ALL_BYTES);
    const [length, entries] = await port.exec([
      cmd('STRLEN', ['rp:bytes'], 'rp:bytes'),
      cmd('XRANGE', ['rp:stream', '-', '+'], 'rp:stream'),
    ]);
    expect(length).toBe(256);
    expect(entries).toEqual([[Buffer.from('1-1'), [Buffer.from('f'), ALL_BYTES]]]);
  });

  it('gives each failed command its own Error and answers the rest', async () => {
    const [wrong, fine] = await port.exec([
      cmd('LPUSH', ['rp:007', 'x'], 'rp:007'),
      cmd('GET', ['rp:007'], 'rp:007'),
    ]);
    expect(wrong).toBeInstanceOf(Error);
    expect((wrong as Error).message).toMatch(/WRONGTYPE/);
    expect(fine).toEqual(Buffer.from('007'));
  });

  it('reads and finds keys whose names are not valid UTF-8', async () => {
    await client.set(binaryKey, ALL_BYTES);
    await client.hset(Buffer.concat([binaryKey, Buffer.from(':h')]), INVALID_UTF8, ALL_BYTES);
    const [value, type, fields] = await port.exec([
      cmd('GET', [binaryKey], binaryKey),
      cmd('TYPE', [binaryKey], binaryKey),
      cmd('HGETALL', [Buffer.concat([binaryKey, Buffer.from(':h')])]),
    ]);
    expect(value).toEqual(ALL_BYTES);
    expect(type).toEqual(Buffer.from('string'));
    expect(fields).toEqual([INVALID_UTF8, ALL_BYTES]);
    const [scan] = await port.exec([cmd('SCAN', ['0', 'MATCH', 'rp:bin:*', 'COUNT', 1000])]);
    expect((scan as [Buffer, Buffer[]])[1]).toContainEqual(binaryKey);
  });

  it('runs the batch read script with binary key names in ARGV', async () => {
    const [reply] = await execScripts(
      port,
      [scriptCommand(readBatchScript, undefined, [1000, 1 << 20, '', binaryKey, 'rp:007'])],
      [readBatchScript],
    );
    const flat = reply as unknown[];
    // Last comes the read's stamp: the server's TIME in microseconds (src/keys/stamp.ts).
    expect(flat.at(-1)).toBeGreaterThan(1_700_000_000_000_000);
    expect(flat.slice(1, -1)).toEqual([
      Buffer.from('string'),
      -1,
      256,
      ALL_BYTES,
      Buffer.from('string'),
      -1,
      3,
      Buffer.from('007'),
    ]);
  });

  it('counts commands as Upstash bills them', async () => {
    rest.resetCounts();
    const before = port.stats.commands;
    await port.exec([cmd('GET', ['a'], 'a'), cmd('GET', [binaryKey], binaryKey), cmd('DBSIZE', [])]);
    expect(port.stats.commands - before).toBe(3);
    expect(rest.commands).toBe(3);
  });
});

describe('REST request size', () => {
  it('splits a batch over several /pipeline requests under the limit, keeping reply order', async () => {
    const small = await openRestPort(
      parseEndpointUrl(rest.url, 'source'),
      { role: 'source', url: rest.url, token: rest.token },
      { maxRequestBytes: 4096 },
    );
    const keys = Array.from({ length: 100 }, (_, i) => `rp:split:${i}`);
    rest.resetCounts();
    const sets = await small.exec(keys.map((key, i) => cmd('SET', [key, `${i}:${'x'.repeat(100)}`], key)));
    expect(rest.requests['/pipeline']).toBeGreaterThanOrEqual(4); // 100 × ~130 bytes in 4 KB requests
    expect(rest.largestBody).toBeLessThanOrEqual(4096);
    expect(rest.commands).toBe(100);
    expect(sets.every((reply) => String(reply) === 'OK')).toBe(true);
    const values = await small.exec(keys.map((key) => cmd('GETRANGE', [key, 0, -1], key)));
    expect(values.map((r) => String(r).split(':')[0])).toEqual(keys.map((_, i) => String(i)));
  });

  it('refuses one command larger than the limit without sending it', async () => {
    const small = await openRestPort(
      parseEndpointUrl(rest.url, 'source'),
      { role: 'source', url: rest.url, token: rest.token },
      { maxRequestBytes: 1024 },
    );
    const [big, fine] = await small.exec([
      cmd('SET', ['rp:big', 'x'.repeat(2000)], 'rp:big'),
      cmd('GET', ['rp:007'], 'rp:007'),
    ]);
    expect((big as Error).message).toMatch(/too large for one REST request/);
    expect(fine).toEqual(Buffer.from('007'));
    expect(await client.exists('rp:big')).toBe(0);
  });
});

describe('REST errors', () => {
  it('maps 401 to exit 3 "token rejected" without printing the token', async () => {
    const secret = 'definitely-wrong-token';
    const error = await openEndpoint({ role: 'source', url: rest.url, token: secret }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrateError);
    expect((error as MigrateError).code).toBe(ExitCode.connect);
    expect((error as MigrateError).message).toMatch(/^source: token rejected/);
    expect(`${(error as MigrateError).message} ${(error as MigrateError).hint}`).not.toContain(secret);
  });

  it('asks for a token when none is given (exit 2)', async () => {
    const error = (await openEndpoint({ role: 'source', url: rest.url }).catch(
      (e: unknown) => e,
    )) as MigrateError;
    expect(error.code).toBe(ExitCode.usage);
    expect(error.hint).toMatch(/--source-token/);
  });

  it('says when the endpoint cannot be reached (exit 3)', async () => {
    const error = (await openEndpoint({ role: 'source', url: 'http://127.0.0.1:1', token: 't' }).catch(
      (e: unknown) => e,
    )) as MigrateError;
    expect(error.code).toBe(ExitCode.connect);
    expect(error.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it('hands a request-wide 4xx error (a quota reply) to every command of the request', async () => {
    rest.inject({ afterCommands: 0, message: 'ERR max daily request limit exceeded', status: 400 });
    try {
      const replies = await port.exec([cmd('GET', ['a'], 'a'), cmd('GET', ['b'], 'b')]);
      for (const reply of replies)
        expect((reply as Error).message).toBe('ERR max daily request limit exceeded');
    } finally {
      rest.inject(undefined);
    }
  });
});
