/** `migrate verify` as operators run it (built CLI: run `npm run build` first; npm test does). */
import { existsSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTypeSamples } from '../fixtures/dataset.js';
import { hasStackTrace, runCli, startCli } from './support/cli.js';
import { copyBetween } from './support/copy.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

describe('migrate verify (CLI)', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let targetClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    if (!existsSync('dist/cli.js'))
      throw new Error('run `npm run build` first: bin/migrate loads dist/cli.js');
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    targetClient = target.client();
    await seedTypeSamples(sourceClient, 'cli:');
    await sourceClient.set('cli:binary', Buffer.from([0xff, 0x00, 0x41]), 'PX', 3_600_000);
    await copyBetween(source.url, target.url, { checkpointFile: dir.file('copy.json') });
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    targetClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  const verify = (...flags: string[]) =>
    runCli(['verify', '--source', source.url, '--target', target.url, ...flags]);

  it('exits 0 with one JSON document when the target equals the source', async () => {
    const result = await verify('--full', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      command: 'verify',
      ok: true,
      mode: 'full',
      checked: 8,
      missing: 0,
      extra: 0,
    });
    expect(report).toMatchObject({
      typeMismatch: 0,
      valueMismatch: 0,
      ttlMismatch: 0,
      rechecked: 0,
      repaired: 0,
    });
    expect(report.source).toMatchObject({ dbsize: 8, keysWithTtl: 1 });
    expect(report.target).toMatchObject({ dbsize: 8 });
    for (const field of ['sourceCommands', 'durationMs']) expect(typeof report[field]).toBe('number');
    expect(report.examples).toEqual([]);
  });

  it('exits 1 and lists each difference, binary values shown safely, until --repair fixes them', async () => {
    await targetClient.set('cli:binary', Buffer.from([0xff, 0x00, 0x42]), 'KEEPTTL');
    await targetClient.del('cli:hash');
    const result = await verify('--full', '--json', '--recheck', '10');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, missing: 1, valueMismatch: 1 });
    expect(report.examples).toContainEqual({
      key: 'cli:hash',
      problem: 'missing',
      source: expect.stringMatching(/^hash \(2\) \{a=1, b=2\}/),
      target: null,
    });
    const binary = report.examples.find((e: { key: string }) => e.key === 'cli:binary');
    expect(binary).toMatchObject({
      problem: 'value',
      source: expect.stringContaining('\\xff\\x00A'),
      target: expect.stringContaining('\\xff\\x00B'),
    });

    const text = await verify('--full', '--recheck', '10');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/missing on target:\n {2}cli:hash/);
    expect(text.stdout).toMatch(/value differs:\n {2}cli:binary/);

    const repaired = await verify('--full', '--repair', '--json', '--recheck', '10');
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ ok: true, repaired: 2, remaining: 0 });
    expect((await verify('--json')).code).toBe(0);
  });

  it('refuses --sample with --full as a usage error (exit 2, one line)', async () => {
    const result = await verify('--full', '--sample', '10');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--sample and --full cannot be used together/);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('refuses to compare a server with itself (exit 2, one line, no key read)', async () => {
    const before = await scriptCalls(sourceClient);
    const result = await runCli(['verify', '--source', source.url, '--target', source.url, '--full']);
    expect(result.code).toBe(2);
    expect(await scriptCalls(sourceClient)).toBe(before);
    expect(result.stderr).toMatch(/source and target are the same server/);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('exits 3 when the target cannot be reached', async () => {
    const result = await runCli([
      'verify',
      '--source',
      source.url,
      '--target',
      'redis://127.0.0.1:1',
      '--json',
    ]);
    expect(result.code).toBe(3);
  });

  it('exits 2 at once, naming the refusal, when the target refuses scripts (not a connection fault: no retries)', async () => {
    const noScripts = await startRedis({
      args: ['--rename-command', 'EVAL', '', '--rename-command', 'EVALSHA', ''],
    });
    const before = await scriptCalls(sourceClient);
    const result = await runCli(['verify', '--source', source.url, '--target', noScripts.url, '--full']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /verify could not read a batch: the server answered ERR unknown command.*\n.*make sure both allow them/,
    );
    expect(hasStackTrace(result.stderr)).toBe(false);
    // One read of the source's batch, not one per retry.
    expect((await scriptCalls(sourceClient)) - before).toBe(1);
  });
  it('stops on SIGINT during --full: exits 130 with one line on stderr and a report marked interrupted', async () => {
    // An empty target: every key is missing, and its re-check waits 10 minutes unless the run is stopped.
    const empty = await startRedis();
    const before = await scriptCalls(sourceClient);
    const run = startCli([
      'verify',
      '--source',
      source.url,
      '--target',
      empty.url,
      '--full',
      '--json',
      '--recheck',
      '600000',
    ]);
    await firstBatchRead(sourceClient, before);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toEqual([expect.stringMatching(/^migrate: stopping/)]);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ command: 'verify', interrupted: true, ok: false });
  });
});

/** Waits until the source has run a verify script (the compare of the first batch has started). */
async function firstBatchRead(client: Redis, baseline: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await scriptCalls(client)) > baseline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('verify read no batch');
}

async function scriptCalls(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  return [...stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}
