/**
 * `migrate sync` and `migrate status` as an operator runs them (built CLI, real processes): refusal without
 * notifications, the heartbeat other terminals see, and a sync killed with SIGKILL that converges on restart.
 * Needs `npm run build` (npm test does it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { seedTypeSamples } from '../fixtures/dataset.js';
import { syncStatusKey } from '../src/control/names.js';
import { publishStatus, type SyncStatus, staleAfterMs } from '../src/control/sync-status.js';
import { openEndpoint } from '../src/redis/connect.js';
import { hasStackTrace, runCli } from './support/cli.js';
import { digest, startRedis, stopAll, type TestServer } from './support/servers.js';
import {
  expireDueKeys,
  notifyArgs,
  tempStateDir,
  userDigest,
  waitFor,
  writeChanges,
} from './support/sync.js';

const bin = join(import.meta.dirname, '..', 'bin', 'migrate');
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stopAll();
});

function migrate(args: string[]) {
  return promisify(execFile)('node', [bin, ...args], { timeout: 20_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

function startSync(
  source: TestServer,
  target: TestServer,
  stateDir: string,
): ChildProcess & { output: () => string } {
  const child = spawn(
    'node',
    [bin, 'sync', '--source', source.url, '--target', target.url, '--state-dir', stateDir, '--quiet'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return Object.assign(child, { output: () => output });
}

async function status(source: TestServer, target: TestServer) {
  const { stdout } = await migrate(['status', '--source', source.url, '--target', target.url, '--json']);
  return JSON.parse(stdout) as {
    stage: { stage: string; epoch: number };
    sync?: { heartbeat: string; stage: string; queueDepth: number; lagMs: number; gaps: number; pid: number };
  };
}

describe('migrate sync (CLI)', () => {
  // Nothing listens on port 1: each of these must be refused before any connection is tried.
  const nowhere = 'redis://127.0.0.1:1';
  it.each([
    ['a zero --max-retries', ['sync', '--max-retries', '0'], /invalid --max-retries "0"/],
    ['a negative --drain-timeout', ['sync', '--drain-timeout', '-5'], /invalid --drain-timeout "-5"/],
    ['a non-numeric --rate', ['sync', '--rate', 'abc'], /invalid --rate "abc"/],
    ['an unknown sync flag', ['sync', '--bogus'], /unknown option '--bogus'/],
    ['an unknown status flag', ['status', '--bogus'], /unknown option '--bogus'/],
    ['a source of an unsupported scheme', ['sync', '--source', 'ftp://host:21'], /unsupported scheme/],
  ])('exits 2 with one line on %s', async (_name, [command, ...args], message) => {
    const result = await runCli([command!, '--source', nowhere, '--target', nowhere, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // the message, and a hint
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it.each(['sync', 'status'])(
    '%s exits 2 when no target is given, naming the flag and the variable',
    async (command) => {
      const result = await runCli([command, '--source', nowhere], { MIGRATE_TARGET_URL: '' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/no target given.*\n.*--target <url>.*MIGRATE_TARGET_URL/);
    },
  );

  it('refuses with exit 2 and says how to enable notifications when they are off', async () => {
    const source = await startRedis();
    const target = await startRedis();
    const result = await migrate([
      'sync',
      '--source',
      source.url,
      '--target',
      target.url,
      '--state-dir',
      tempStateDir(),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keyspace notifications are off/);
    expect(result.stderr).toMatch(/--configure-notifications/);
    expect(result.stderr).toMatch(/parameter group/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await target.client().dbsize()).toBe(0);
  }, 30_000);

  it('survives SIGKILL: restarted, it converges and nothing written meanwhile is lost; status sees the heartbeat', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startRedis();
    const sourceClient = source.client();
    await seedTypeSamples(sourceClient, 'seed:');
    const stateDir = tempStateDir();

    const first = startSync(source, target, stateDir);
    await waitFor(
      'heartbeat',
      async () => (await status(source, target)).sync?.heartbeat === 'alive',
      15_000,
    );
    const alive = await status(source, target);
    expect(alive.sync?.pid).toBe(first.pid);
    expect(alive.stage).toMatchObject({ stage: 'source', epoch: 0 }); // no switch yet: the initial record

    const stopWriting = new AbortController();
    const writing = writeChanges(sourceClient, 'k:', stopWriting.signal);
    await sleep(1000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    // Changes nobody listens to: the writer's, plus deletes and a rename of keys nothing touches again.
    await sourceClient.del('seed:hash', 'seed:list');
    await sourceClient.rename('seed:string', 'seed:renamed');
    await sleep(1000);
    expect(statSync(join(stateDir, 'sync-queue.json')).mode & 0o777).toBe(0o600);

    const second = startSync(source, target, stateDir);
    await sleep(1500);
    stopWriting.abort();
    await writing;
    await waitFor(
      'caught up',
      async () => {
        const s = (await status(source, target)).sync;
        return (
          s !== undefined &&
          s.pid === second.pid &&
          s.stage === 'streaming' &&
          s.queueDepth === 0 &&
          s.lagMs === 0
        );
      },
      20_000,
    );
    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code, second.output()).toBe(0);
    expect((await status(source, target)).sync?.heartbeat).toBe('stopped');

    await sleep(1200); // every short TTL the writer set has run out
    await expireDueKeys(sourceClient);
    const targetClient = target.client();
    const { digest: targetDigest, reserved } = await userDigest(target, targetClient);
    expect(reserved).toEqual(['__migrate:sync']);
    expect(targetDigest).toBe(await digest(source));
  }, 60_000);

  it('status calls a sync stale once its heartbeat is older than 5 s without a last word, and names its pid', async () => {
    const target = await startRedis();
    const noSource = { MIGRATE_SOURCE_URL: '', UPSTASH_REDIS_REST_URL: '' };
    const publish = async (heartbeatAt: number) => {
      const port = await openEndpoint({ role: 'target', url: target.url });
      try {
        await publishStatus(port, syncStatusKey, publishedStatus(heartbeatAt));
      } finally {
        await port.close();
      }
    };
    const statusJson = async () => {
      const result = await runCli(['status', '--target', target.url, '--json'], noSource);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { sync?: { heartbeat: string; heartbeatAgeMs: number } };
    };

    await publish(Date.now()); // a sync beating now
    expect((await statusJson()).sync?.heartbeat).toBe('alive');

    // The same sync, killed mid-stream (kill -9, crash): its last heartbeat stays behind, still 'streaming'.
    await publish(Date.now() - 2 * staleAfterMs);
    const stale = (await statusJson()).sync;
    expect(stale).toMatchObject({ heartbeat: 'stale', stage: 'streaming', pid: 424242, host: 'sync-host' });
    expect(stale?.heartbeatAgeMs).toBeGreaterThan(staleAfterMs);
    const human = await runCli(['status', '--target', target.url], noSource);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/sync\s+stale: last heartbeat \d+\.\d s ago \(pid 424242 on sync-host\)/);
    expect(human.stdout).toMatch(/sync stage\s+streaming/);
  }, 20_000);
});

/** What a sync publishes each second, as of `heartbeatAt`. */
function publishedStatus(heartbeatAt: number): SyncStatus {
  return {
    stage: 'streaming',
    lagMs: 0,
    eventsPerSec: 0,
    appliedPerSec: 0,
    events: 40,
    applied: 40,
    queueDepth: 0,
    retryQueue: 0,
    deadLetters: 0,
    gaps: 0,
    reconciliations: 0,
    initialCopyScanned: 10,
    startedAt: new Date(heartbeatAt - 60_000).toISOString(),
    heartbeatAt: new Date(heartbeatAt).toISOString(),
    pid: 424242,
    host: 'sync-host',
  };
}
