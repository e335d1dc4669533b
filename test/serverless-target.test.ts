/**
 * Copy, verify and sync onto a target that keeps ElastiCache Serverless's rules (test/support/serverless-endpoint.ts):
 * TLS only, cluster protocol behind one endpoint, scripts must declare keys of one slot, ≤ 3,999 arguments,
 * CONFIG/KEYS/DEBUG refused. Each run must be exact (DEBUG DIGEST of the backend, absolute expiries, stream state)
 * and send nothing the endpoint refuses, except the one keyless script that tells the tool what the target is.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixtures } from '../fixtures/dataset.js';
import { copyKeys } from '../src/copy/copy-keys.js';
import { defaultCopyOptions } from '../src/copy/options.js';
import { openEndpoint } from '../src/redis/connect.js';
import { keylessProbeScript } from '../src/redis/key-rules.js';
import type { RedisPort } from '../src/redis/port.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import type { VerifyReport } from '../src/verify/report.js';
import { verifyKeys } from '../src/verify/verify-keys.js';
import { runCli } from './support/cli.js';
import { copyBetween, openTarget, withExec } from './support/copy.js';
import { expectSameData, expectSameValues, tempCheckpoint } from './support/fidelity.js';
import {
  defaultEndpointEngine,
  type ServerlessEndpoint,
  startServerlessEndpoint,
} from './support/serverless-endpoint.js';
import { flushAll, startRedis, stopAll, type TestServer } from './support/servers.js';
import { expectConverged, notifyArgs, syncWhile, userDigest, writeChanges } from './support/sync.js';
import { openssl } from './support/tls-certs.js';
import { verifyBetween } from './support/verify.js';

const engine = defaultEndpointEngine();

describe.runIf(openssl !== undefined)(
  `onto ElastiCache Serverless rules (endpoint backend: ${engine})`,
  () => {
    let source: TestServer;
    let sourceClient: Redis;
    let endpoint: ServerlessEndpoint;
    let backend: Redis;

    beforeAll(async () => {
      [source, endpoint] = await Promise.all([
        startRedis({ args: notifyArgs }),
        startServerlessEndpoint({ engine }),
      ]);
      sourceClient = source.client();
      backend = endpoint.backend.client();
      // Keys of many slots, and a second set all in one slot (hash tag): calls of one key and calls of many.
      await seedFixtures(sourceClient, { bigSize: 3_000, withShortTtls: false });
      await seedFixtures(sourceClient, { prefix: '{one}:', bigSize: 3_000, withShortTtls: false });
    }, 60_000);

    afterAll(async () => {
      sourceClient?.disconnect();
      backend?.disconnect();
      await stopAll();
    });

    const ends = () => ['--source', source.url, '--target', endpoint.url, '--tls-ca', endpoint.ca];
    /** What the endpoint refused besides the keyless probe (src/redis/key-rules.ts): must stay empty. */
    const ruleBreaks = () =>
      endpoint.refusals.filter((r) => !(r.command === 'EVAL' && r.args[0] === keylessProbeScript));
    const probes = () => endpoint.refusalCounts()['keyless-script'] ?? 0;

    it('copies every type in struct mode (CLI), exact, breaking no rule', async () => {
      await flushAll(endpoint.backend);
      endpoint.resetCounts();
      const result = await runCli([
        'copy',
        ...ends(),
        '--mode',
        'struct',
        '--chunk-size',
        '500',
        '--checkpoint',
        tempCheckpoint(),
        '--json',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ failed: 0, expired: 0 });
      await expectSameData(source, endpoint.backend);
      expect(ruleBreaks()).toEqual([]);
      expect(probes()).toBe(1);
      expect(endpoint.requests).toBeGreaterThan(100);
    });

    it('copies in dump mode (RESTORE … ABSTTL), exact, breaking no rule', async () => {
      await flushAll(endpoint.backend);
      endpoint.resetCounts();
      const report = await copyBetween(source.url, endpoint, {
        mode: 'dump',
        checkpointFile: tempCheckpoint(),
      });
      expect(report).toMatchObject({ mode: 'dump', failed: 0, expired: 0 });
      await expectSameData(source, endpoint.backend);
      expect(ruleBreaks()).toEqual([]);
    });

    it('verifies in full (CLI) and by sample, finds each kind of difference and repairs it', async () => {
      await flushAll(endpoint.backend);
      await copyBetween(source.url, endpoint, { mode: 'struct', checkpointFile: tempCheckpoint() });
      endpoint.resetCounts();
      const verify = async (...flags: string[]) => {
        const result = await runCli(['verify', ...ends(), '--json', ...flags]);
        return { code: result.code, report: JSON.parse(result.stdout) as VerifyReport };
      };
      // An empty script cache costs an EVAL per script (and batch in flight), not one per call of a key.
      await backend.script('FLUSH');
      await backend.config('RESETSTAT');
      const equal = await verify('--full');
      expect(equal.code).toBe(0);
      expect(equal.report).toMatchObject({ ok: true, remaining: 0 });
      expect(equal.report.checked).toBe(await sourceClient.dbsize());
      const calls = (name: string, stats: string) =>
        Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
      const stats = await backend.info('commandstats');
      expect(calls('eval', stats)).toBeGreaterThan(0);
      expect(calls('eval', stats)).toBeLessThanOrEqual(12);
      expect(calls('evalsha', stats)).toBeGreaterThan(equal.report.checked / 2);
      expect(await verifyBetween(source.url, endpoint, { mode: 'sample', sample: 200 })).toMatchObject({
        ok: true,
      });

      // Straight on the backend, past the front: one key of each kind of difference.
      await backend.set('fx:str:ascii', 'changed');
      await backend.del('{one}:hash:small');
      await backend.set('only-on-target', 'x');
      await backend.pexpire('fx:str:json', 3_600_000);
      const differs = await verify('--full');
      expect(differs.code).toBe(1);
      expect(differs.report).toMatchObject({ valueMismatch: 1, missing: 1, extra: 1, ttlMismatch: 1 });
      expect((await verify('--full', '--repair')).report).toMatchObject({ repaired: 4, remaining: 0 });
      expect((await verify('--full')).code).toBe(0);
      // Verify leaves its outcome on the target, for `migrate status`.
      expect((await userDigest(endpoint.backend, backend)).reserved).toEqual(['__migrate:verify:last']);
      await expectSameValues(source, endpoint.backend); // engine-aware: the backend may be Valkey 8.1
      expect(ruleBreaks()).toEqual([]);
    });

    it('switches a target that refuses keyless scripts without looking like Serverless to calls per slot', async () => {
      await flushAll(endpoint.backend);
      endpoint.resetCounts();
      const from = await openEndpoint({ role: 'source', url: source.url });
      const to = await openTarget(endpoint);
      // Seen as standalone, it is not probed: the first refusal must teach each engine (copy, then verify).
      const disguised = (): RedisPort => ({
        ...withExec(to, (c, n) => to.exec(c, n)),
        topology: 'standalone',
      });
      try {
        const options = { ...defaultCopyOptions, mode: 'struct' as const, checkpointFile: tempCheckpoint() };
        expect(await copyKeys(from, disguised(), options)).toMatchObject({ failed: 0 });
        const verify = { ...defaultVerifyOptions, mode: 'full' as const, saveResult: false };
        expect(await verifyKeys(from, disguised(), verify)).toMatchObject({ ok: true });
      } finally {
        await Promise.all([from.close(), to.close()]);
      }
      await expectSameData(source, endpoint.backend);
      // Refused: only the calls in flight before the first refusal came back (4 batches at once, at most).
      expect(ruleBreaks().every((r) => r.kind === 'keyless-script')).toBe(true);
      expect(ruleBreaks().length).toBeGreaterThan(0);
      expect(ruleBreaks().length).toBeLessThanOrEqual(8);
    });

    it('syncs a busy source onto it until both are equal, breaking no rule', async () => {
      await flushAll(endpoint.backend);
      endpoint.resetCounts();
      const stopWriting = new AbortController();
      const { report } = await syncWhile(source, endpoint, async () => {
        const writing = writeChanges(sourceClient, 'w:', stopWriting.signal);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        stopWriting.abort();
        expect(await writing).toBeGreaterThan(500);
      });
      expect(report.drained).toBe(true);
      expect(report.deadLetters).toEqual([]);
      expect(report.applied).toBeGreaterThan(500);
      await expectConverged(source, sourceClient, endpoint.backend, backend);
      expect(ruleBreaks()).toEqual([]);
      expect(probes()).toBe(1);
    }, 60_000);
  },
);
