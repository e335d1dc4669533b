import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, seedFixtures } from '../fixtures/dataset.js';
import { runCli, startCli } from './support/cli.js';
import { digest, flushAll, startRedis, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the checkpoint file records some copied keys. */
async function checkpointShowsProgress(path: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(path)) {
      const data = JSON.parse(readFileSync(path, 'utf8'));
      if (data.counts.scanned > 0) return;
    }
    await sleep(50);
  }
  throw new Error('the copy made no progress');
}

describe('interrupt and resume', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  let sourceDigest: string;
  const dir = tempDir();
  // Slow enough to interrupt: 50 keys per batch, one batch at a time, 150 source commands/s.
  const slow = [
    '--batch',
    '50',
    '--concurrency',
    '1',
    '--rate',
    '150',
    '--chunk-size',
    '200',
    '--mode',
    'struct',
  ];

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    await seedBenchData(sourceClient, { keys: 20_000 });
    await seedFixtures(sourceClient, { bigSize: 10_000, withShortTtls: false });
    sourceDigest = await digest(source);
  });
  afterAll(() => {
    sourceClient.disconnect();
    dir.remove();
  });

  it('on SIGINT finishes in-flight batches, saves a 0600 checkpoint, exits 130; --resume completes it', async () => {
    await flushAll(target);
    const checkpoint = dir.file('sigint.json');
    const args = [
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--checkpoint',
      checkpoint,
      ...slow,
    ];
    const run = startCli([...args, '--json']);
    await checkpointShowsProgress(checkpoint);
    run.child.kill('SIGINT');
    const interrupted = await run.done;
    expect(interrupted.code).toBe(130);
    const report = JSON.parse(interrupted.stdout);
    expect(report).toMatchObject({ interrupted: true, failed: 0 });
    expect(statSync(checkpoint).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
    expect(saved.complete).toBe(false);
    expect(await digest(target)).not.toBe(sourceDigest);

    const resumed = await runCli([
      ...args.filter((a) => a !== '--rate' && a !== '150'),
      '--resume',
      '--json',
    ]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, failed: 0, interrupted: false });
    expect(await digest(target)).toBe(sourceDigest);
  });

  it('after kill -9 at any moment, --resume still ends with a complete, correct target', async () => {
    await flushAll(target);
    const checkpoint = dir.file('kill.json');
    const args = [
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--checkpoint',
      checkpoint,
      ...slow,
    ];
    for (const [round, delayMs] of [200, 900, 450, 1300].entries()) {
      const run = startCli(round === 0 ? args : [...args, '--resume']);
      await sleep(delayMs);
      run.child.kill('SIGKILL');
      await run.done;
    }
    const fast = args.filter((a) => a !== '--rate' && a !== '150');
    const final = await runCli([...fast, '--resume', '--json']);
    expect(final.code).toBe(0);
    expect(await digest(target)).toBe(sourceDigest);
    // No temporary key of an interrupted chunked copy is left behind.
    const client = target.client();
    try {
      expect(await client.keys('__migrate:*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 90_000);

  it('refuses --resume of another copy (other --match) with exit 2', async () => {
    const checkpoint = dir.file('kill.json');
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      target.url,
      '--checkpoint',
      checkpoint,
      '--match',
      'other:*',
      '--resume',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/belongs to another copy/);
  });
});
