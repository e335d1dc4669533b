/**
 * Stamped writes (src/keys/stamp.ts): two copiers of one key race, the older read's write is held back on purpose
 * and lands last, and the secondary refuses it instead of going stale. The same race without stamps shows the
 * stale overwrite the stamps exist for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/keys/batch-context.js';
import { defaultKeyCopyOptions } from '../src/keys/options.js';
import { copyStructBatch } from '../src/keys/struct-batch.js';
import { Tally } from '../src/keys/tally.js';
import { openEndpoint } from '../src/redis/connect.js';
import { learnBySlot } from '../src/redis/key-rules.js';
import type { Command, RedisPort } from '../src/redis/port.js';
import { slotOf, stampKeyFor } from '../src/redis/slot.js';
import { withExec } from './support/copy.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';

afterAll(stopAll);

const contextOf = (
  source: RedisPort,
  target: RedisPort,
  stamped: boolean,
  chunkSize = 1000,
): BatchContext => ({
  source,
  target,
  options: { ...defaultKeyCopyOptions, onConflict: 'replace', chunkSize },
  typeFilter: '',
  stamped,
  stopIfFatal: () => {},
});

/** The port, with every command it is sent kept in `sent`. */
function recording(port: RedisPort): { port: RedisPort; sent: Command[] } {
  const sent: Command[] = [];
  return {
    sent,
    port: withExec(port, (commands, node) => {
      sent.push(...commands);
      return port.exec(commands, node);
    }),
  };
}

/** The target with every exec held until release(): a copier whose write is slow to land. */
function heldTarget(target: RedisPort): { port: RedisPort; release: () => void; reached: Promise<void> } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const port = withExec(target, async (commands, node) => {
    reached();
    await gate;
    return target.exec(commands, node);
  });
  return { port, release, reached: arrived };
}

/**
 * Copier X reads `key` as `before()` left it and is held before its write; `after()` changes the key; copier Y
 * copies the new state; then X's write lands. Returns X's tally.
 */
async function race(
  source: RedisPort,
  target: RedisPort,
  key: string,
  stamped: boolean,
  after: () => Promise<unknown>,
  chunkSize = 1000,
): Promise<Tally> {
  const held = heldTarget(target);
  const slow = new Tally();
  const x = copyStructBatch(
    contextOf(source, held.port, stamped, chunkSize),
    'main',
    [Buffer.from(key)],
    slow,
  );
  await held.reached; // X has read the old state
  await after();
  await copyStructBatch(
    contextOf(source, target, stamped, chunkSize),
    'main',
    [Buffer.from(key)],
    new Tally(),
  );
  held.release();
  await x;
  return slow;
}

describe('stamped writes on a standalone secondary', () => {
  let sourceServer: TestServer;
  let targetServer: TestServer;
  let source: RedisPort;
  let target: RedisPort;
  const write = () => sourceServer.client();

  beforeAll(async () => {
    [sourceServer, targetServer] = await Promise.all([startRedis(), startRedis()]);
    source = await openEndpoint({ role: 'source', url: sourceServer.url });
    target = await openEndpoint({ role: 'target', url: targetServer.url });
  });
  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
  });

  it('refuses the older read when it lands after a newer copy', async () => {
    const client = write();
    await client.set('counter', '1');
    const slow = await race(source, target, 'counter', true, () => client.set('counter', '2'));
    const check = targetServer.client();
    expect(await check.get('counter')).toBe('2');
    expect(slow.counts).toMatchObject({ copied: 0, skipped: 1, failed: 0 });
    // The stamp lives in the key's own slot, in the reserved namespace, and expires on its own.
    const stampKey = stampKeyFor('counter');
    expect(slotOf(stampKey)).toBe(slotOf('counter'));
    expect(Number(await check.hget(stampKey, 'counter'))).toBeGreaterThan(1e15);
    expect(await check.pttl(stampKey)).toBeGreaterThan(60_000);
    client.disconnect();
    check.disconnect();
  });

  it('without stamps, the same race leaves the secondary stale (what the stamps prevent)', async () => {
    const client = write();
    await client.set('plain', '1');
    await race(source, target, 'plain', false, () => client.set('plain', '2'));
    const check = targetServer.client();
    expect(await check.get('plain')).toBe('1');
    expect(await client.get('plain')).toBe('2');
    client.disconnect();
    check.disconnect();
  });

  it('refuses an older delete of a key that a newer copy created', async () => {
    const client = write();
    await client.del('born');
    await race(source, target, 'born', true, () => client.set('born', 'alive', 'EX', 600));
    const check = targetServer.client();
    expect(await check.get('born')).toBe('alive');
    expect(await check.ttl('born')).toBeGreaterThan(500);
    client.disconnect();
    check.disconnect();
  });

  it('renames a key rebuilt in chunks into place only when no newer copy landed meanwhile', async () => {
    const client = write();
    await client.rpush('feed', ...Array.from({ length: 1200 }, (_, i) => `old${i}`));
    const slow = await race(
      source,
      target,
      'feed',
      true,
      () => client.multi().del('feed').rpush('feed', 'new0', 'new1').exec(),
      500,
    );
    const check = targetServer.client();
    expect(await check.lrange('feed', 0, -1)).toEqual(['new0', 'new1']);
    expect(slow.counts.skipped).toBe(1);
    // No temporary key is left behind by the refused rebuild.
    expect(await check.keys('__migrate:tmp:*')).toEqual([]);
    client.disconnect();
    check.disconnect();
  });

  it('writes many keys in one stamped call on a standalone server, refusing only the one held newer', async () => {
    const client = write();
    await client.mset('m:a', '1', 'm:b', '2', 'm:c', '3');
    const check = targetServer.client();
    await check.set('m:b', 'newer');
    await check.hset(stampKeyFor('m:b'), 'm:b', String(9e15)); // a copy read "later" than ours already landed
    const { port: watched, sent } = recording(target);
    const tally = new Tally();
    await copyStructBatch(
      contextOf(source, watched, true),
      'main',
      ['m:a', 'm:b', 'm:c'].map(Buffer.from),
      tally,
    );
    expect(tally.counts).toMatchObject({ copied: 2, skipped: 1, failed: 0 });
    expect(await check.mget('m:a', 'm:b', 'm:c')).toEqual(['1', 'newer', '3']);
    // One call for the three keys, undeclared (a standalone server takes keys of many slots in one script call).
    const writes = sent.filter((command) => command.name === 'EVALSHA');
    expect(writes.length).toBe(1);
    expect(writes[0]!.args[1]).toBe(0);
    client.disconnect();
    check.disconnect();
  });

  it('falls back to calls of one slot each when a server refuses undeclared keys, or keys of several slots', async () => {
    const client = write();
    await client.mset('r:a', '1', 'r:b', '2');
    // A server that wants each script call's keys declared, all of one slot (ElastiCache Serverless's rules).
    const refusing = withExec(target, (commands, node) => {
      const refused = commands.map((command) =>
        command.name !== 'EVALSHA'
          ? undefined
          : Number(command.args[1]) === 0
            ? new Error('ERR Lua scripts without any input keys are not supported.')
            : Number(command.args[1]) > 2
              ? new Error("CROSSSLOT Keys in request don't hash to the same slot")
              : undefined,
      );
      if (refused.every((reply) => reply === undefined)) return target.exec(commands, node);
      return Promise.resolve(refused.map((reply) => reply ?? new Error('not sent')));
    });
    const tally = new Tally();
    const context = contextOf(source, refusing, true);
    await copyStructBatch(context, 'main', ['r:a', 'r:b'].map(Buffer.from), tally);
    expect(tally.counts).toMatchObject({ copied: 2, failed: 0 });
    const check = targetServer.client();
    expect(await check.mget('r:a', 'r:b')).toEqual(['1', '2']);
    client.disconnect();
    check.disconnect();
  });

  it('still writes a copy that is newer than the recorded stamp', async () => {
    const client = write();
    await client.set('fresh', 'a');
    const context = contextOf(source, target, true);
    await copyStructBatch(context, 'main', [Buffer.from('fresh')], new Tally());
    await client.set('fresh', 'b', 'PX', 100_000);
    const tally = new Tally();
    await copyStructBatch(context, 'main', [Buffer.from('fresh')], tally);
    const check = targetServer.client();
    expect(await check.get('fresh')).toBe('b');
    expect(await check.pexpiretime('fresh')).toBe(await client.pexpiretime('fresh'));
    expect(tally.counts.copied).toBe(1);
    client.disconnect();
    check.disconnect();
  });
});

describe('stamped writes on a cluster secondary', () => {
  let sourceServer: TestServer;
  let cluster: TestCluster;

  beforeAll(async () => {
    [sourceServer, cluster] = await Promise.all([startRedis(), startCluster()]);
  });

  it('declares the key and its stamp hash, both of one slot, in every call', async () => {
    const client = sourceServer.client();
    const keys = Array.from({ length: 200 }, (_, i) => `k:${i}`);
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.set(key, key);
    pipeline.hset('k:hash', 'f', 'v');
    pipeline.del('k:0');
    await pipeline.exec();
    const source = await openEndpoint({ role: 'source', url: sourceServer.url });
    const target = await openEndpoint({ role: 'target', url: cluster.url });
    const { port: watched, sent } = recording(target);
    const tally = new Tally();
    await copyStructBatch(
      contextOf(source, watched, true),
      'main',
      [...keys, 'k:hash'].map(Buffer.from),
      tally,
    );
    expect(tally.counts).toMatchObject({ copied: 200, expired: 1, failed: 0 });
    const scripts = sent.filter((command) => command.name === 'EVALSHA' || command.name === 'EVAL');
    // One call per key: each declares one key (with its stamp hash), every key is declared. A node that does not
    // know the script yet refuses the first calls with NOSCRIPT: they are sent again, the body once per node.
    const declared = new Set(scripts.map(({ args }) => String(args[2])));
    expect(declared).toEqual(new Set([...keys, 'k:hash']));
    expect(scripts.filter((command) => command.name === 'EVAL').length).toBeLessThanOrEqual(
      cluster.nodes.length,
    );
    expect(scripts.length).toBeLessThanOrEqual(2 * declared.size);
    for (const { args } of scripts) {
      expect(args[1]).toBe(2);
      expect(slotOf(args[3] as string)).toBe(slotOf(args[2] as Buffer));
    }
    const check = cluster.client();
    expect(await check.get('k:199')).toBe('k:199');
    expect(await check.exists('k:0')).toBe(0);
    check.disconnect();
    client.disconnect();
    await Promise.all([source.close(), target.close()]);
  });

  it('reads a batch of one slot with its keys declared where the source wants them (ElastiCache Serverless)', async () => {
    const writer = cluster.client();
    await writer.set('{user:1}:name', 'ada', 'PX', 60_000);
    await writer.hset('{user:1}:prefs', 'theme', 'dark');
    writer.disconnect();
    const source = await openEndpoint({ role: 'source', url: cluster.url });
    const target = await openEndpoint({ role: 'target', url: sourceServer.url });
    const { port: watched, sent } = recording(source);
    learnBySlot(watched); // what probeKeyRules learns from a Serverless endpoint
    const keys = ['{user:1}:name', '{user:1}:prefs', '{user:1}:gone'].map((key) => Buffer.from(key));
    const tally = new Tally();
    await copyStructBatch(contextOf(watched, target, true), source.nodeOf(keys[0]!), keys, tally);
    expect(tally.counts).toMatchObject({ copied: 2, expired: 1, failed: 0 });
    const reads = sent.filter((command) => command.name === 'EVALSHA');
    expect(reads.length).toBeGreaterThan(0);
    for (const { args } of reads) expect(args.slice(1, 5)).toEqual([3, ...keys]);
    const check = sourceServer.client();
    expect(await check.hgetall('{user:1}:prefs')).toEqual({ theme: 'dark' });
    expect(await check.pttl('{user:1}:name')).toBeGreaterThan(50_000);
    check.disconnect();
    await Promise.all([source.close(), target.close()]);
  });
});
