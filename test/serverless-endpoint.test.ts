/**
 * The Serverless-rules endpoint itself (test/support/serverless-endpoint.ts): what it refuses and with which texts,
 * that everything else passes unchanged (binary-safe, split across reads, pipelined, MULTI, pub/sub), and that it
 * shows itself as Serverless does: TLS only, cluster protocol, one node holding every slot at the front's address.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultEndpointEngine,
  type ServerlessEndpoint,
  startServerlessEndpoint,
} from './support/serverless-endpoint.js';
import { stopAll } from './support/servers.js';
import { openssl } from './support/tls-certs.js';

const engine = defaultEndpointEngine();

describe.runIf(openssl !== undefined)(`Serverless-rules endpoint (backend: ${engine})`, () => {
  let endpoint: ServerlessEndpoint;
  let client: Redis;
  let tls: { ca: Buffer };
  const port = () => Number(new URL(endpoint.url).port);

  beforeAll(async () => {
    endpoint = await startServerlessEndpoint({ engine });
    tls = { ca: readFileSync(endpoint.ca) };
    client = new Redis({ host: '127.0.0.1', port: port(), tls });
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await stopAll();
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => error.message,
    );

  it('refuses scripts without keys with AWS’s text, and counts each refusal', async () => {
    endpoint.resetCounts();
    const text = 'ERR Lua scripts without any input keys are not supported.';
    expect(await refusal(client.eval('return 1', 0))).toBe(text);
    expect(await refusal(client.call('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'))).toBe(text);
    expect(await refusal(client.call('FCALL', 'f', '0'))).toBe(text);
    expect(await client.eval('return redis.call("SET", KEYS[1], ARGV[1])', 1, 'k', 'v')).toBe('OK');
    expect(endpoint.refusalCounts()).toEqual({ 'keyless-script': 3 });
  });

  it('leaves CROSSSLOT to the cluster-mode backend', async () => {
    const before = endpoint.refusals.length;
    expect(await refusal(client.eval('return 1', 2, 'a', 'b'))).toMatch(/^CROSSSLOT/);
    expect(await client.eval('return #KEYS', 2, '{t}a', '{t}b')).toBe(2);
    expect(endpoint.refusals.length).toBe(before);
  });

  it('refuses more than 3,999 arguments and accepts 3,999', async () => {
    endpoint.resetCounts();
    const members = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
    expect(await client.sadd('big', ...members(3997))).toBe(3997); // SADD + key + 3,997 members
    expect(await refusal(client.sadd('big', ...members(3998)))).toMatch(/^ERR too many arguments/);
    expect(endpoint.refusalCounts()).toEqual({ 'too-many-arguments': 1 });
  });

  it('refuses CLIENT PAUSE and UNPAUSE, and answers the CLIENT subcommands Serverless keeps', async () => {
    endpoint.resetCounts();
    expect(await refusal(client.call('CLIENT', 'PAUSE', '100', 'WRITE'))).toBe(
      "ERR unknown subcommand 'pause'. Try CLIENT HELP.",
    );
    expect(await refusal(client.call('client', 'unpause'))).toMatch(/^ERR unknown subcommand 'unpause'/);
    expect(await client.call('CLIENT', 'ID')).toEqual(expect.any(Number));
    expect(endpoint.refusalCounts()).toEqual({ 'restricted-command': 2 });
  });

  it('refuses CONFIG, DEBUG, KEYS and SELECT n>0 as ElastiCache does', async () => {
    endpoint.resetCounts();
    expect(await refusal(client.call('CONFIG', 'GET', 'notify-keyspace-events'))).toBe(
      "ERR unknown command 'CONFIG', with args beginning with: 'GET' 'notify-keyspace-events' ",
    );
    expect(await refusal(client.call('DEBUG', 'DIGEST'))).toMatch(/^ERR unknown command 'DEBUG'/);
    expect(await refusal(client.call('KEYS', '*'))).toMatch(/^ERR unknown command 'KEYS'/);
    expect(await refusal(client.call('SELECT', '1'))).toBe('ERR SELECT is not allowed in cluster mode');
    expect(await client.call('SELECT', '0')).toBe('OK');
    expect(endpoint.refusalCounts()).toEqual({ 'restricted-command': 3, select: 1 });
  });

  it('keeps replies in request order when a pipeline mixes refused and forwarded commands', async () => {
    const results = await client
      .pipeline()
      .set('p:1', 'one')
      .call('CONFIG', 'GET', 'maxmemory')
      .get('p:1')
      .eval('return 1', 0)
      .incr('p:n')
      .exec();
    expect(results?.map(([error, value]) => (error ? (error as Error).message.slice(0, 22) : value))).toEqual(
      ['OK', "ERR unknown command 'C", 'one', 'ERR Lua scripts withou', 1],
    );
  });

  it('passes binary values through unchanged, even when requests and replies arrive in pieces', async () => {
    const value = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) % 256; // CR, LF and '*' included
    await client.set(Buffer.from('bin:\r\n*'), value);
    expect((await client.getBuffer(Buffer.from('bin:\r\n*')))?.equals(value)).toBe(true);

    // One byte per write: every parser state is crossed by a read boundary.
    const socket = connect({ host: '127.0.0.1', port: port(), ca: tls.ca });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const request = Buffer.from(
      '*3\r\n$3\r\nSET\r\n$4\r\nsp:1\r\n$2\r\n\r\n\r\n*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\nPING\r\n',
    );
    const replies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => replies.push(chunk));
    for (const byte of request) socket.write(Buffer.from([byte]));
    const expected = "+OK\r\n-ERR unknown command 'KEYS', with args beginning with: '*' \r\n+PONG\r\n";
    for (let i = 0; i < 100 && Buffer.concat(replies).length < expected.length; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    socket.destroy();
    expect(Buffer.concat(replies).toString('latin1')).toBe(expected);
  });

  it('aborts a MULTI holding a refused command, and runs one without', async () => {
    const aborted = await refusal(client.multi().set('{m}1', 'x').call('CONFIG', 'GET', 'save').exec());
    expect(aborted).toMatch(/EXECABORT/);
    expect(await client.exists('{m}1')).toBe(0);
    expect(await client.multi().set('{m}1', 'x').incr('{m}n').exec()).toEqual([
      [null, 'OK'],
      [null, 1],
    ]);
  });

  it('delivers pub/sub messages on a subscribed connection', async () => {
    const subscriber = new Redis({ host: '127.0.0.1', port: port(), tls });
    try {
      const got = new Promise<string>((resolve) =>
        subscriber.on('message', (_, message) => resolve(message)),
      );
      await subscriber.subscribe('news');
      await client.publish('news', 'hello');
      expect(await got).toBe('hello');
    } finally {
      subscriber.disconnect();
    }
  });

  it('shows one node holding every slot at the front’s address, reachable only over TLS', async () => {
    const slots = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    expect(slots.map(([from, to, [host, at]]) => [from, to, host, at])).toEqual([
      [0, 16383, '127.0.0.1', port()],
    ]);
    const cluster = new Cluster([{ host: '127.0.0.1', port: port() }], { redisOptions: { tls } });
    try {
      await cluster.set('c:1', 'v');
      expect(cluster.nodes('master').map((node) => node.options.port)).toEqual([port()]);
    } finally {
      cluster.disconnect();
    }
    const plain = new Redis({
      host: '127.0.0.1',
      port: port(),
      retryStrategy: () => null,
      lazyConnect: true,
    });
    plain.on('error', () => {});
    const answered = await plain
      .connect()
      .then(() => plain.ping())
      .then(
        () => true,
        () => false,
      );
    plain.disconnect();
    expect(answered).toBe(false);
  });
});
