import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData } from '../fixtures/dataset.js';
import { openEndpoint } from '../src/redis/connect.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import { verifyKeys } from '../src/verify/verify-keys.js';
import { copyBetween } from './support/copy.js';
import {
  flushAll,
  startCluster,
  startRedis,
  stopAll,
  type TestCluster,
  type TestServer,
} from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { verifyBetween } from './support/verify.js';

const KEYS = 10_000;
/** Small batches, one at a time: the run lasts long enough for keys to expire and writes to land during it. */
const slow = { mode: 'full', batch: 100, concurrency: 1 } as const;

/**
 * Mimics a live sync: every write lands on the source first and on the target `lagMs` later. Until stopped,
 * updates, deletes and creates random keys.
 */
function startWriter(source: Redis, target: Redis | Cluster, lagMs: number) {
  let running = true;
  let writes = 0;
  const pending = new Set<Promise<unknown>>();
  const follow = (apply: () => Promise<unknown>) => {
    const done: Promise<unknown> = new Promise((resolve) => setTimeout(resolve, lagMs))
      .then(apply)
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const i = Math.floor(Math.random() * KEYS);
      const key = `bench:string:${i}`;
      if (n % 10 === 0) {
        await source.del(key);
        follow(() => target.del(key));
      } else if (n % 10 === 1) {
        const fresh = `live:new:${n}`;
        await source.set(fresh, 'new');
        follow(() => target.set(fresh, 'new'));
      } else {
        const value = `changed ${n}`;
        await source.set(key, value);
        follow(() => target.set(key, value));
      }
      writes++;
      if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    get writes() {
      return writes;
    },
    async stop() {
      running = false;
      await loop;
      await Promise.all(pending);
    },
  };
}

describe('verify raises no false alarm on a live database', () => {
  let source: TestServer;
  let standalone: TestServer;
  let cluster: TestCluster;
  let sourceClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    [source, standalone, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
    sourceClient = source.client();
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  const targets = () => ({ standalone, cluster });
  for (const kind of ['standalone', 'cluster'] as const) {
    it(`ignores keys expiring during the run (${kind} target)`, async () => {
      const target = targets()[kind];
      await Promise.all([flushAll(source), flushAll(target)]);
      await seedBenchData(sourceClient, { keys: KEYS, stringsOnly: true });
      const copied = await copyBetween(source.url, target.url, {
        checkpointFile: dir.file(`ttl-${kind}.json`),
      });
      expect(copied.failed).toBe(0);
      // Half the keys expire over the next 3 s, i.e. while verify runs, at the same absolute time on both sides. Setting
      // 10,000 expiries took over 1 s on a busy machine: a 1 s window had passed before verify started.
      const now = Date.now();
      const targetClient = kind === 'cluster' ? cluster.client() : standalone.client();
      try {
        for (const client of [sourceClient, targetClient]) {
          await Promise.all(
            Array.from({ length: KEYS / 2 }, (_, j) =>
              client.pexpireat(`bench:string:${2 * j}`, now + 100 + 3 * (j % 1_000)),
            ),
          );
        }
      } finally {
        targetClient.disconnect();
      }

      const report = await verifyBetween(source.url, target.url, slow);
      expect(report).toMatchObject({
        ok: true,
        remaining: 0,
        missing: 0,
        extra: 0,
        valueMismatch: 0,
        ttlMismatch: 0,
      });
      // Proof the run overlapped the expiries: keys vanished before being read, or were resolved by a re-check.
      expect(report.vanished + report.rechecked).toBeGreaterThan(0);
      expect(report.checked).toBeLessThan(KEYS);
    });

    it(`ignores writes a sync has not applied yet (${kind} target)`, async () => {
      const target = targets()[kind];
      await Promise.all([flushAll(source), flushAll(target)]);
      await seedBenchData(sourceClient, { keys: KEYS, stringsOnly: true });
      await copyBetween(source.url, target.url, { checkpointFile: dir.file(`live-${kind}.json`) });

      const targetClient = kind === 'cluster' ? cluster.client() : standalone.client();
      const writer = startWriter(sourceClient, targetClient, 30);
      try {
        const report = await verifyBetween(source.url, target.url, { ...slow, batch: 250, concurrency: 2 });
        expect(writer.writes).toBeGreaterThan(100);
        expect(report).toMatchObject({ ok: true, remaining: 0, missing: 0, extra: 0, valueMismatch: 0 });
        // The writer's lag was seen, and resolved by re-checks rather than reported.
        expect(report.rechecked).toBeGreaterThan(0);
      } finally {
        await writer.stop();
        targetClient.disconnect();
      }
    });
  }
});

describe('a key written faster than the sync’s lag (skipBusyKeys)', () => {
  it('is counted busy, not different, where writes go on; a stale key that does not move is still a difference', async () => {
    const source = await startRedis();
    const target = await startRedis();
    const [sourceClient, targetClient] = [source.client(), target.client()];
    await sourceClient.set('stale', 'new');
    await targetClient.set('stale', 'old');
    // A counter written every few ms whose copies reach the target 300 ms later: never equal at a look.
    let running = true;
    const hot = (async () => {
      for (let n = 1; running; n++) {
        await sourceClient.set('hot', n);
        setTimeout(() => void targetClient.set('hot', n).catch(() => {}), 300);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    try {
      const [src, tgt] = await Promise.all([
        openEndpoint({ role: 'source', url: source.url }),
        openEndpoint({ role: 'target', url: target.url }),
      ]);
      const options = { ...defaultVerifyOptions, mode: 'full' as const, saveResult: false };
      const strict = await verifyKeys(src, tgt, options);
      const live = await verifyKeys(src, tgt, { ...options, skipBusyKeys: true });
      await Promise.all([src.close(), tgt.close()]);
      expect(strict).toMatchObject({ valueMismatch: 2, remaining: 2, busy: 0 });
      expect(live).toMatchObject({ valueMismatch: 1, remaining: 1, busy: 1 });
      expect(live.examples.map((e) => e.key)).toEqual(['stale']);
    } finally {
      running = false;
      await hot;
      sourceClient.disconnect();
      targetClient.disconnect();
    }
  });
});
