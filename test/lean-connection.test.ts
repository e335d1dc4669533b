/**
 * The lean connection (src/redis/lean-connection.ts) that carries pipelines of one call per slot: it must answer
 * exactly as ioredis's callBuffer does, in order, for every reply type, over many reads, with AUTH, and come back
 * after a lost connection.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanConnection } from '../src/redis/lean-connection.js';
import { type Command, cmd, type Reply } from '../src/redis/port.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

afterAll(stopAll);

describe('lean connection', () => {
  let server: TestServer;
  let guarded: TestServer;

  beforeAll(async () => {
    [server, guarded] = await Promise.all([startRedis(), startRedis({ args: ['--requirepass', 's3cret'] })]);
  });

  const viaIoredis = async (commands: Command[]): Promise<Reply[]> => {
    const client = server.client();
    try {
      const pipeline = client.pipeline();
      for (const { name, args } of commands) pipeline.callBuffer(name, ...args);
      return ((await pipeline.exec()) ?? []).map(([error, reply]) => (error ? error : (reply as Reply)));
    } finally {
      client.disconnect();
    }
  };
  const comparable = (replies: Reply[]) =>
    replies.map((reply) => (reply instanceof Error ? `error: ${reply.message}` : reply));

  it('answers every reply type as ioredis callBuffer does, byte for byte', async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const commands = [
      cmd('SET', [Buffer.from('lean:\r\nkey'), binary]),
      cmd('GET', [Buffer.from('lean:\r\nkey')]),
      cmd('GET', ['lean:missing']),
      cmd('INCRBY', ['lean:n', -7]),
      cmd('RPUSH', ['lean:list', 'a', '', 'ü']),
      cmd('LRANGE', ['lean:list', 0, -1]),
      cmd('LRANGE', ['lean:none', 0, -1]),
      cmd('EVAL', ['return {1, {"x", {false, 2}}, redis.status_reply("FINE")}', 0]),
      cmd('HGET', ['lean:list', 'f']),
      cmd('NOSUCHCOMMAND', []),
      cmd('EXEC', []),
    ];
    const lean = new LeanConnection({ host: server.host, port: server.port });
    try {
      const got = await lean.exec(commands);
      await viaIoredis([cmd('DEL', ['lean:\r\nkey', 'lean:n', 'lean:list'])]);
      expect(comparable(got)).toEqual(comparable(await viaIoredis(commands)));
      expect(got[1]).toEqual(binary);
      expect(got[2]).toBeNull();
      expect(got[9]).toBeInstanceOf(Error);
    } finally {
      lean.close();
    }
  });

  it('keeps concurrent pipelines in order, with values split over many reads', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const lean = new LeanConnection({ host: server.host, port: server.port });
    try {
      await lean.exec([cmd('SET', ['lean:big', big])]);
      const runs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          lean.exec([cmd('ECHO', [`run ${i}`]), cmd('GET', ['lean:big']), cmd('ECHO', [`end ${i}`])]),
        ),
      );
      runs.forEach(([first, value, last], i) => {
        expect(String(first)).toBe(`run ${i}`);
        expect((value as Buffer).equals(big)).toBe(true);
        expect(String(last)).toBe(`end ${i}`);
      });
    } finally {
      lean.close();
    }
  });

  it('authenticates with the password it was given, and fails with the server’s word on a wrong one', async () => {
    const right = new LeanConnection({ host: guarded.host, port: guarded.port, password: 's3cret' });
    const wrong = new LeanConnection({ host: guarded.host, port: guarded.port, password: 'nope' });
    try {
      expect(String((await right.exec([cmd('PING', [])]))[0])).toBe('PONG');
      await expect(wrong.exec([cmd('PING', [])])).rejects.toThrow(/WRONGPASS/);
    } finally {
      right.close();
      wrong.close();
    }
  });

  it('fails what is in flight when the connection drops, and connects again for the next pipeline', async () => {
    const lean = new LeanConnection({ host: server.host, port: server.port });
    const killer = new Redis({ host: server.host, port: server.port });
    try {
      expect(String((await lean.exec([cmd('CLIENT', ['SETNAME', 'lean-victim'])]))[0])).toBe('OK');
      const blocked = lean.exec([cmd('BLPOP', ['lean:never', 5])]).catch((error: Error) => error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await killer.call('CLIENT', 'KILL', 'SKIPME', 'yes', 'TYPE', 'normal');
      expect(String(await blocked)).toMatch(/closed|reset/i);
      expect(String((await lean.exec([cmd('PING', [])]))[0])).toBe('PONG');
    } finally {
      killer.disconnect();
      lean.close();
    }
  });
});
