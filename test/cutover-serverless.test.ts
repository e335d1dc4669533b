/**
 * Cutover, rollback and the client library onto a target that keeps ElastiCache Serverless's rules
 * (test/support/serverless-endpoint.ts): TLS with a private CA, cluster protocol behind one endpoint, scripts that
 * declare keys of one slot, no CONFIG/KEYS/DEBUG, no keyspace notifications, no CLIENT PAUSE. The built CLI runs
 * beside a `migrate sync` process, as an operator runs them. Every acknowledged write must end on the final primary,
 * and the endpoint must refuse nothing but the one keyless script each process sends to learn what the target is.
 */
import { readFileSync } from 'node:fs';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratingClient } from '../src/client/index.js';
import type { SwitchReport } from '../src/cutover/report.js';
import { keylessProbeScript } from '../src/redis/key-rules.js';
import { migrateSwitch, startCli, startSyncCli } from './support/cli.js';
import {
  defaultEndpointEngine,
  type ServerlessEndpoint,
  startServerlessEndpoint,
} from './support/serverless-endpoint.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { stageRecordOf, startWriter, userKeyDigests, windowSwitch } from './support/switch.js';
import { notifyArgs, waitFor } from './support/sync.js';
import { openssl } from './support/tls-certs.js';

afterAll(stopAll);

const engine = defaultEndpointEngine();

async function startPair(): Promise<{ source: TestServer; endpoint: ServerlessEndpoint; ends: string[] }> {
  const [source, endpoint] = await Promise.all([
    startRedis({ args: notifyArgs }),
    startServerlessEndpoint({ engine }),
  ]);
  const seed = source.client();
  const pipeline = seed.pipeline();
  for (let i = 0; i < 200; i++) pipeline.set(`seed:${i}`, `v${i}`);
  for (let i = 0; i < 20; i++) pipeline.hset(`seed:h${i}`, 'a', i, 'b', 'x');
  await pipeline.exec();
  seed.disconnect();
  return {
    source,
    endpoint,
    ends: ['--source', source.url, '--target', endpoint.url, '--tls-ca', endpoint.ca],
  };
}

/** What the endpoint refused besides the keyless probe each process sends (src/redis/key-rules.ts). */
const ruleBreaks = (endpoint: ServerlessEndpoint) =>
  endpoint.refusals.filter((r) => !(r.command === 'EVAL' && r.args[0] === keylessProbeScript));

/** An application connection to the endpoint, as ioredis users make one to Serverless. */
const appCluster = (endpoint: ServerlessEndpoint): Cluster => {
  const [host, port] = endpoint.url.replace('rediss://', '').split(':') as [string, string];
  return new Cluster([{ host, port: Number(port) }], {
    redisOptions: { tls: { ca: readFileSync(endpoint.ca) } },
    dnsLookup: (address, callback) => callback(null, address),
  });
};

const windowArgs = (command: 'cutover' | 'rollback', ends: string[]) => [
  command,
  ...ends,
  '--window',
  '--quiet-for',
  '800',
  '--json',
];

describe.runIf(openssl !== undefined)(
  `cutover onto ElastiCache Serverless rules (backend: ${engine})`,
  () => {
    it('switches in a window, takes writes on the target, refuses --fence, and switches back caught up by verify and repair', async () => {
      const { source, endpoint, ends } = await startPair();
      const sync = await startSyncCli(ends);
      const sourceClient = source.client();
      const backend = endpoint.backend.client();
      const app = appCluster(endpoint);
      try {
        const cutover = await windowSwitch<SwitchReport>(
          windowArgs('cutover', ends),
          startWriter(sourceClient, 'w:'),
        );
        expect(cutover.report.new).toMatchObject({ stage: 'rampdown', fenced: false });
        expect(cutover.report.steps[0]!.window).toMatchObject({ stoppedBy: 'quiet', verify: { ok: true } });
        expect(await backend.get('w:count')).toBe(String(cutover.written));
        expect(await userKeyDigests(backend)).toEqual(await userKeyDigests(sourceClient));

        // The application now writes to the target, through the endpoint.
        const targetWriter = startWriter(app, 't:');
        await waitFor('target writes', () => targetWriter.acknowledged > 50);

        // Serverless pauses no one's writes: --fence is refused before anything changes.
        endpoint.resetCounts();
        const fenced = await startCli(['rollback', ...ends, '--window', '--fence']).done;
        expect(fenced.code).toBe(2);
        const refusal = fenced.stderr.split('\n').filter((line) => line.startsWith('migrate:'));
        expect(refusal).toEqual([
          expect.stringMatching(/refuses CLIENT PAUSE … WRITE: ERR unknown subcommand/),
        ]);
        expect(fenced.stderr).toMatch(
          /→ stop the application’s writes yourself and run the window without --fence/,
        );
        expect(await stageRecordOf(source.url, endpoint)).toMatchObject({
          stage: 'rampdown',
          fenced: false,
          agree: true,
        });
        expect(ruleBreaks(endpoint).map((r) => `${r.command} ${r.args[0]}`)).toEqual(['CLIENT PAUSE']);

        endpoint.resetCounts();
        const back = await windowSwitch<SwitchReport>(windowArgs('rollback', ends), targetWriter);
        expect(back.report.new).toMatchObject({ stage: 'source', fenced: false });
        // No notifications on the target: no reverse feed, the rollback caught the source up itself.
        expect(back.report.steps[0]!.move?.drain.by).toBe('copy');
        expect(back.report.steps[0]!.window).toMatchObject({ quietBy: 'key-count', verify: { ok: true } });
        expect(back.written).toBeGreaterThan(50);
        expect(await sourceClient.get('t:count')).toBe(String(back.written));
        expect(await userKeyDigests(sourceClient)).toEqual(await userKeyDigests(backend));
        expect(await stageRecordOf(source.url, endpoint)).toMatchObject({ stage: 'source', agree: true });
        const stopped = await sync.stop();
        expect(stopped.code, stopped.stderr).toBe(0);
        expect(ruleBreaks(endpoint)).toEqual([]);
        expect(endpoint.refusalCounts()).toEqual({ 'keyless-script': 1 }); // the rollback's one probe
        console.info(
          `[serverless window] freeze ${cutover.report.steps[0]!.window!.freezeMs} ms / ${back.report.steps[0]!.window!.freezeMs} ms; endpoint: ${endpoint.requests} requests, refusals ${JSON.stringify(endpoint.refusalCounts())}`,
        );
      } finally {
        await sync.stop();
        sourceClient.disconnect();
        backend.disconnect();
        app.disconnect();
      }
    }, 60_000);

    it('walks the stages with the client library writing through the endpoint, losing no acknowledged write', async () => {
      const { source, endpoint, ends } = await startPair();
      const sync = await startSyncCli(ends);
      const redis = createMigratingClient({
        source: source.url,
        target: {
          cluster: endpoint.url,
          options: { redisOptions: { tls: { ca: readFileSync(endpoint.ca) } } },
        },
        clientId: 'serverless-app',
        shadowSampleRate: 0.5,
      });
      const backend: Redis = endpoint.backend.client();
      const sourceClient = source.client();
      let writing = true;
      const increments = new Map<string, number>();
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const n = i % 32;
          await redis.incr(`hits:${n}`);
          increments.set(`hits:${n}`, (increments.get(`hits:${n}`) ?? 0) + 1);
          await redis.set(`session:${i % 50}`, String(i), 'EX', 300);
          // A script and a transaction: keys declared, of one slot.
          await redis.eval(
            "redis.call('INCR', KEYS[1]) return redis.call('SET', KEYS[2], ARGV[1])",
            2,
            '{acct}:n',
            '{acct}:at',
            i,
          );
          await redis.multi().lpush('{feed}:list', String(i)).ltrim('{feed}:list', 0, 19).exec();
          if (i % 10 === 0) await redis.get(`session:${(i * 7) % 50}`);
        }
      })();
      const migrate = (command: 'cutover' | 'rollback', ...flags: string[]) =>
        migrateSwitch(command, ends, '--wait', '30', ...flags);
      try {
        endpoint.resetCounts();
        await waitFor('writes under way', () => (increments.get('hits:31') ?? 0) > 2);
        const walk: Array<['cutover' | 'rollback', string[], { stage: string; percent: number }]> = [
          ['cutover', [], { stage: 'dual-write', percent: 100 }],
          ['cutover', ['--to', 'shadow'], { stage: 'shadow', percent: 100 }],
          ['cutover', ['--to', 'live', '--percent', '50'], { stage: 'live', percent: 50 }],
          ['cutover', ['--to', 'live'], { stage: 'live', percent: 100 }],
          ['cutover', ['--to', 'rampdown'], { stage: 'rampdown', percent: 100 }],
          ['rollback', ['--to', 'shadow'], { stage: 'shadow', percent: 100 }],
          ['cutover', ['--to', 'live'], { stage: 'live', percent: 100 }],
        ];
        const pauses: number[] = [];
        for (const [command, flags, expected] of walk) {
          const report = await migrate(command, ...flags);
          expect(report.new).toMatchObject({ ...expected, fenced: false });
          for (const step of report.steps) if (step.move) pauses.push(step.move.pauseMs);
        }
        writing = false;
        await writer;
        await redis.quit();
        const stopped = await sync.stop();
        expect(stopped.code, stopped.stderr).toBe(0);
        // Every acknowledged INCR is on the final primary (the target), once.
        for (const [key, count] of increments) expect(Number(await backend.get(key)), key).toBe(count);
        expect(await userKeyDigests(sourceClient)).toEqual(await userKeyDigests(backend));
        const stats = redis.migrationStats();
        expect(stats.shadow.mismatches).toBe(0);
        expect(stats.mirror.recorded + stats.mirror.unrecorded).toBe(0);
        expect(pauses.length).toBe(4); // live 50 %, live 100 %, back to shadow, live again
        expect(ruleBreaks(endpoint)).toEqual([]);
        // At most one probe per process that opened the endpoint: each CLI run, and the client.
        expect(endpoint.refusalCounts()['keyless-script'] ?? 0).toBeLessThanOrEqual(walk.length + 1);
        console.info(
          `[serverless client] ${[...increments.values()].reduce((a, b) => a + b, 0)} INCRs; fenced pauses (ms): ${pauses.join(', ')}; shadow compares ${stats.shadow.compared}; endpoint: ${endpoint.requests} requests, refusals ${JSON.stringify(endpoint.refusalCounts())}`,
        );
      } finally {
        writing = false;
        await writer.catch(() => {});
        await redis.quit().catch(() => {});
        await sync.stop();
        backend.disconnect();
        sourceClient.disconnect();
      }
    }, 60_000);
  },
);
