/**
 * The CLI against an Upstash REST source (run `npm run build` first: bin/migrate loads dist/): a quota reply ends the
 * copy with exit 3 and a checkpoint that `--resume` completes; a rejected token exits 3 without printing it; the
 * UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN variables are enough to find the source.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, seedFixtures } from '../fixtures/dataset.js';
import { tempCheckpoint } from './support/fidelity.js';
import { startRestServer, type TestRestServer } from './support/rest-server.js';
import { digest, flushAll, startRedis, stopAll, type TestServer } from './support/servers.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/migrate with a clean environment (no MIGRATE_* / UPSTASH_* from the caller). */
function migrate(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(MIGRATE_|UPSTASH_)/.test(name)),
  );
  return new Promise((resolve) => {
    execFile(
      'node',
      ['bin/migrate', ...args],
      { env: { ...base, ...env }, timeout: 50_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let sourceServer: TestServer;
let source: Redis;
let target: TestServer;
let rest: TestRestServer;

beforeAll(async () => {
  if (!existsSync('dist/cli.js')) throw new Error('run `npm run build` first: bin/migrate loads dist/cli.js');
  [sourceServer, target] = await Promise.all([startRedis(), startRedis()]);
  source = sourceServer.client();
  rest = await startRestServer(sourceServer);
  await seedBenchData(source, { keys: 3_000 });
  await seedFixtures(source, { bigSize: 2_000, withShortTtls: false });
}, 60_000);
afterAll(async () => {
  source?.disconnect();
  await stopAll();
});

const copyArgs = (checkpoint: string) => [
  'copy',
  ...['--source', rest.url, '--source-token', rest.token, '--target', target.url],
  ...['--mode', 'struct', '--batch', '100', '--concurrency', '1', '--quiet', '--checkpoint', checkpoint],
];

describe('migrate copy from an Upstash REST source', () => {
  it.each([
    ['per command', 'ERR max requests limit exceeded. Limit: 500000, Usage: 500000', undefined],
    ['per command', 'ERR max daily request limit exceeded. Limit: 10000, Usage: 10000', undefined],
    ['per command', 'ERR max concurrent connections exceeded', undefined],
    ['as HTTP 429', 'ERR max requests limit exceeded. Limit: 500000, Usage: 500000', 429],
  ])(
    'stops on a quota reply (%s) with exit 3, then --resume completes the copy: %s',
    async (_how, message, status) => {
      await flushAll(target);
      const checkpoint = tempCheckpoint();
      rest.inject({ afterCommands: 40, message, ...(status === undefined ? {} : { status }) });
      const stopped = await migrate(copyArgs(checkpoint));
      rest.inject(undefined);
      expect(stopped.stderr).toMatch(
        /migrate: source: Upstash quota reached: .*limit exceeded|connections exceeded/,
      );
      expect(stopped.stderr).toMatch(/--resume/);
      expect(stopped.code).toBe(3);
      const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as {
        complete: boolean;
        counts: { copied: number };
      };
      expect(saved.complete).toBe(false);
      expect(saved.counts.copied).toBeGreaterThan(0);

      const resumed = await migrate([...copyArgs(checkpoint), '--resume', '--json']);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      const report = JSON.parse(resumed.stdout) as {
        resumed: boolean;
        failed: number;
        sourceCommands: number;
        estimatedCostUsd: number;
      };
      expect(report).toMatchObject({ resumed: true, failed: 0 });
      expect(report.sourceCommands).toBeGreaterThan(0);
      expect(await digest(target)).toBe(await digest(sourceServer));
    },
  );

  it('saves a checkpoint that resumes when the token is revoked mid-copy (401)', async () => {
    await flushAll(target);
    const checkpoint = tempCheckpoint();
    rest.inject({ afterCommands: 40, message: 'Unauthorized', status: 401 });
    const stopped = await migrate(copyArgs(checkpoint));
    rest.inject(undefined);
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toMatch(/token rejected/);
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toMatchObject({ complete: false });
    const resumed = await migrate([...copyArgs(checkpoint), '--resume']);
    expect(resumed.code).toBe(0);
    expect(await digest(target)).toBe(await digest(sourceServer));
  });

  it('exits 3 with "token rejected" on a 401, never printing the token', async () => {
    const secret = 'wrong-token-4f9a1c';
    const result = await migrate([...copyArgs(tempCheckpoint()).map((a) => (a === rest.token ? secret : a))]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^migrate: source: token rejected by http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\)/,
    );
    expect(result.stderr + result.stdout).not.toContain(secret);
  });

  it('finds the source from UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN', async () => {
    await flushAll(target);
    const checkpoint = tempCheckpoint();
    const result = await migrate(
      ['copy', '--target', target.url, '--mode', 'struct', '--quiet', '--checkpoint', checkpoint, '--json'],
      { UPSTASH_REDIS_REST_URL: rest.url, UPSTASH_REDIS_REST_TOKEN: rest.token },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(rest.token);
    expect(await digest(target)).toBe(await digest(sourceServer));
  });
});
