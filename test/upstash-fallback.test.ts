/**
 * A source that refuses EVAL (scripting renamed away, or an ACL user without @scripting, like a read-only token) is
 * still copied byte-exact: the struct copy falls back to pipelined per-key reads, and stops sending scripts.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { scriptsRefused } from '../src/keys/fallback-read.js';
import { openEndpoint } from '../src/redis/connect.js';
import { readBatchScript } from '../src/redis/scripts.js';
import { runCli } from './support/cli.js';
import { withExec } from './support/copy.js';
import { expectSameData, tempCheckpoint } from './support/fidelity.js';
import {
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';

afterAll(stopAll);

describe('recognising a refused script', () => {
  it.each([
    ["ERR unknown command 'EVALSHA', with args beginning with: 'abc' '0' ", true],
    ["NOPERM this user has no permissions to run the 'evalsha' command", true],
    ['ERR scripts are disabled', true],
    ['ERR Error running script (call to f_1): @user_script:5: WRONGTYPE Operation against a key', false],
    ['ERR max requests limit exceeded', false],
  ])('%s → %s', (message, refused) => {
    expect(scriptsRefused(new Error(message))).toBe(refused);
  });
});

describe('copy from a source that refuses EVAL', () => {
  let renamed: TestServer;
  let acl: TestServer;
  let target: TestServer;
  let cluster: TestCluster;
  let seeded: Redis;

  beforeAll(async () => {
    [renamed, acl, target, cluster] = await Promise.all([
      startRedis({
        args: ['--rename-command', 'EVAL', 'hidden-eval', '--rename-command', 'EVALSHA', 'hidden-evalsha'],
      }),
      startRedis(),
      startRedis(),
      startCluster(),
    ]);
    for (const server of [renamed, acl]) {
      seeded = server.client();
      await seedFixtures(seeded, { bigSize: 2_000, withShortTtls: false });
      seeded.disconnect();
    }
    const admin = acl.client();
    // Without PEXPIRETIME too, like a Redis 6 source: expiries are then read as PTTL beside TIME.
    const denied = ['-@scripting', '-pexpiretime'];
    await admin.call('ACL', 'SETUSER', 'reader', 'on', '>reader-pw', '~*', '&*', '+@all', ...denied);
    admin.disconnect();
  }, 60_000);

  const sources = () =>
    [
      ['scripting renamed away', renamed, renamed.url],
      [
        'an ACL user without @scripting and PEXPIRETIME',
        acl,
        `redis://reader:reader-pw@${acl.host}:${acl.port}`,
      ],
    ] as const;

  for (const index of [0, 1]) {
    it(`copies byte-exact to standalone and cluster targets (source ${index === 0 ? 'without EVAL' : 'with a NOPERM user, without PEXPIRETIME either'})`, async () => {
      const [, server, url] = sources()[index]!;
      for (const destination of [target, cluster]) {
        await flushAll(destination);
        const from = await openEndpoint({ role: 'source', url, upstash: true });
        const to = await openEndpoint({ role: 'target', url: destination.url });
        try {
          let scriptsSent = 0;
          const expiryReads = { PEXPIRETIME: 0, PTTL: 0 };
          const counting = withExec(from, (commands, node) => {
            // Batch reads only: the field-TTL preflight asks the source once, in one EVAL of its own.
            scriptsSent += commands.filter(
              (c) => c.name === 'EVALSHA' || (c.name === 'EVAL' && c.args[0] === readBatchScript),
            ).length;
            for (const { name } of commands) if (name in expiryReads) expiryReads[name as 'PTTL']++;
            return from.exec(commands, node);
          });
          const report = await copyKeys(counting, to, {
            ...defaultCopyOptions,
            mode: 'struct',
            batch: 5,
            concurrency: 2,
            checkpointFile: tempCheckpoint(),
          });
          expect(report.failed).toBe(0);
          // Refused once per batch already in flight when the first refusal came back, then never sent again.
          expect(report.scanned / 5).toBeGreaterThan(6);
          expect(scriptsSent).toBeLessThanOrEqual(2);
          // One refused EVALSHA, then about four plain reads per key (TYPE, PEXPIRETIME or PTTL, size, value).
          expect(report.sourceCommands / report.scanned).toBeLessThan(6);
          // Exact PEXPIRETIME where the source has it; PTTL (after one refused batch) where it does not.
          if (index === 0) expect(expiryReads.PTTL).toBe(0);
          else expect(expiryReads.PTTL).toBeGreaterThanOrEqual(report.scanned);
          expect(expiryReads.PEXPIRETIME).toBeGreaterThan(0);
        } finally {
          await Promise.all([from.close(), to.close()]);
        }
        // PEXPIRETIME is exact. TIME and PTTL in one pipeline are not read at the same instant: a server
        // descheduled between them (a busy CI machine) makes an expiry a few ms early, never late (±2 ms of rounding).
        await expectSameData(server, destination, index === 1 ? { earlierMs: 100, laterMs: 2 } : undefined);
      }
    });
  }
});

describe('dry run and dump mode on a source that refuses EVAL', () => {
  let renamed: TestServer;
  let target: TestServer;

  beforeAll(async () => {
    [renamed, target] = await Promise.all([
      startRedis({
        args: ['--rename-command', 'EVAL', 'hidden-eval', '--rename-command', 'EVALSHA', 'hidden-evalsha'],
      }),
      startRedis(),
    ]);
    const client = renamed.client();
    await client.set('k', 'v');
    client.disconnect();
  });

  it('--dry-run refuses with exit 2 and points to the copy, which falls back', async () => {
    const result = await runCli(['copy', '--source', renamed.url, '--target', target.url, '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/source refuses Lua scripts/);
    expect(result.stderr).toMatch(/run the copy itself/);
  });

  it('--mode dump reports each key failed with the advice to use --mode struct', async () => {
    const result = await runCli([
      'copy',
      '--source',
      renamed.url,
      '--target',
      target.url,
      '--mode',
      'dump',
      '--json',
      '--checkpoint',
      tempCheckpoint(),
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).failures).toEqual([
      { key: 'k', reason: expect.stringMatching(/refuses Lua scripts.*--mode struct/) },
    ]);
  });
});
