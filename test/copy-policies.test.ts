import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedTypeSamples } from '../fixtures/dataset.js';
import { runCli } from './support/cli.js';
import { copyBetween } from './support/copy.js';
import { digest, flushAll, startRedis, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

describe('copy policies: conflicts, dry run, refusals', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let targetClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    targetClient = target.client();
    await seedTypeSamples(sourceClient, 'p:');
    await sourceClient.set('p:conflict', 'from source');
    await sourceClient.set('p:fresh', 'only on source');
  });
  afterAll(() => {
    sourceClient.disconnect();
    targetClient.disconnect();
    dir.remove();
  });
  beforeEach(async () => {
    await flushAll(target);
    await targetClient.hset('p:conflict', 'field', 'held by target'); // a key of another type
  });

  it('refuses a non-empty target without --on-conflict, with exit 2, writing nothing', async () => {
    const before = await digest(target);
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--checkpoint',
      dir.file('a.json'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already holds keys/);
    expect(result.stderr).toMatch(/--on-conflict replace\|skip\|fail/);
    expect(await digest(target)).toBe(before);
  });

  it('replace overwrites the conflicting key, even of another type', async () => {
    const report = await copyBetween(source.url, target.url, {
      onConflict: 'replace',
      checkpointFile: dir.file('r.json'),
    });
    expect(report.failed).toBe(0);
    expect(await targetClient.get('p:conflict')).toBe('from source');
    expect(await digest(target)).toBe(await digest(source));
  });

  it('skip leaves the conflicting key as the target holds it and copies the rest', async () => {
    const report = await copyBetween(source.url, target.url, {
      onConflict: 'skip',
      checkpointFile: dir.file('s.json'),
    });
    expect(report).toMatchObject({ skipped: 1, failed: 0 });
    expect(report.copied).toBe(report.scanned - 1);
    expect(await targetClient.hget('p:conflict', 'field')).toBe('held by target');
    expect(await targetClient.get('p:fresh')).toBe('only on source');
  });

  it('fail reports the conflicting key with its type, exits 1, and copies the rest', async () => {
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--on-conflict',
      'fail',
      '--json',
      '--checkpoint',
      dir.file('f.json'),
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ command: 'copy', failed: 1 });
    expect(report.failures).toEqual([
      { key: 'p:conflict', reason: expect.stringMatching(/exists on target as hash/) },
    ]);
    expect(await targetClient.hget('p:conflict', 'field')).toBe('held by target');
    expect(await targetClient.get('p:fresh')).toBe('only on source');
  });

  it('--dry-run reports counts, bytes and estimated commands by type and writes nothing', async () => {
    await flushAll(target);
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--dry-run',
      '--json',
      '--checkpoint',
      dir.file('d.json'),
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ dryRun: true, scanned: await sourceClient.dbsize() });
    expect(Object.keys(report.byType).sort()).toEqual(['hash', 'list', 'set', 'stream', 'string', 'zset']);
    expect(report.bytes).toBeGreaterThan(0);
    expect(report.estimatedSourceCommands).toBeGreaterThan(0);
    expect(await targetClient.dbsize()).toBe(0);
  });

  it('--type copies only the named types', async () => {
    await flushAll(target);
    const report = await copyBetween(source.url, target.url, {
      types: ['hash', 'zset'],
      checkpointFile: dir.file('t.json'),
    });
    expect(report.copied).toBe(2);
    const types = new Set<string>();
    for (const key of await targetClient.keys('*')) types.add(await targetClient.type(key));
    expect([...types].sort()).toEqual(['hash', 'zset']);
  });

  it('--match copies only matching keys', async () => {
    await flushAll(target);
    const report = await copyBetween(source.url, target.url, {
      match: 'p:f*',
      checkpointFile: dir.file('m.json'),
    });
    expect(report.copied).toBe(1);
    expect(await targetClient.keys('*')).toEqual(['p:fresh']);
  });

  it('refuses to copy a server onto itself (same run_id), with exit 2', async () => {
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      source.url,
      '--on-conflict',
      'replace',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/same server/);
  });
});

describe('copy leaves the reserved namespace alone', () => {
  it('skips `__migrate:` keys (control state) and copies every look-alike', async () => {
    const [source, target] = await Promise.all([startRedis(), startRedis()]);
    const sourceClient = source.client();
    const targetClient = target.client();
    const dir = tempDir();
    try {
      const reserved = ['__migrate:stage', '__migrate:sync', '__migrate:tmp:{a}:1:1'];
      const lookAlikes = ['__migrate', '__Migrate:a', 'x__migrate:', '__migrat', '_migrate:b', '__migrate;c'];
      for (const key of [...reserved, ...lookAlikes]) await sourceClient.set(key, key);
      const binary = Buffer.concat([Buffer.from('__migrate'), Buffer.from([0xff])]);
      await sourceClient.set(binary, 'binary look-alike');

      const report = await copyBetween(source.url, target.url, { checkpointFile: dir.file('r.json') });

      expect(report.failed).toBe(0);
      const copied = (await targetClient.keysBuffer('*')).map((key) => key.toString('latin1')).sort();
      expect(copied).toEqual([...lookAlikes, binary.toString('latin1')].sort());
      expect((await sourceClient.keys('__migrate:*')).sort()).toEqual([...reserved].sort());
    } finally {
      sourceClient.disconnect();
      targetClient.disconnect();
      dir.remove();
    }
  });
});
