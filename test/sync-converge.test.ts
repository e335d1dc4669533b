/** `syncKeys` keeps a target equal to a busy source: every type, deletes, expiries, renames; standalone and cluster. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { seedTypeSamples } from '../fixtures/dataset.js';
import { estimateCostUsd } from '../src/keys/cost.js';
import { engineMatrix, startCluster, startRedis, startServer, stopAll } from './support/servers.js';
import {
  bigKeyNames,
  expectConverged,
  notifyArgs,
  seedBigKeys,
  syncWhile,
  writeBigChanges,
  writeChanges,
} from './support/sync.js';

afterAll(stopAll);

// A Redis 7.0 source to each target engine users have (Valkey 8.1 as built); the big-key runs stay on Redis 7.0.
const targetEngines = engineMatrix('redis-7.0', 'valkey-8.1');

describe.each(targetEngines)('migrate sync to %s', (engine) => {
  it('converges under concurrent writes of every type, with DEL, EXPIRE, RENAME and keys expiring by TTL', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startServer({ engine });
    const sourceClient = source.client();
    const targetClient = target.client();
    await seedTypeSamples(sourceClient, 'seed:');
    const stopWriting = new AbortController();
    const { report, statuses } = await syncWhile(source, target, async () => {
      const writing = writeChanges(sourceClient, 'w:', stopWriting.signal);
      await sleep(2500);
      stopWriting.abort();
      expect(await writing).toBeGreaterThan(1000);
    });
    expect(report.drained).toBe(true);
    expect(report.initialCopy?.copied).toBe(7);
    expect(report.events).toBeGreaterThan(1000);
    expect(report.gaps).toBe(0);
    expect(report.deadLetters).toEqual([]);
    // Billed source commands: the initial copy's, then batched reads of changed keys (well under one per key).
    expect(report.sourceCommands).toBeGreaterThan(report.initialCopy!.sourceCommands);
    expect(report.sourceCommands).toBeLessThan(report.applied);
    expect(report.estimatedCostUsd).toBe(estimateCostUsd(report.sourceCommands));
    expect(Math.max(...statuses.map((s) => s.eventsPerSec))).toBeGreaterThan(100);
    await expectConverged(source, sourceClient, target, targetClient);
  }, 40_000);

  it('converges onto a cluster target', async () => {
    const source = await startRedis({ args: notifyArgs });
    const target = await startCluster({ engine });
    const sourceClient = source.client();
    const targetClient = target.client();
    await seedTypeSamples(sourceClient, 'seed:');
    const stopWriting = new AbortController();
    const { report } = await syncWhile(source, target, async () => {
      const writing = writeChanges(sourceClient, 'c:', stopWriting.signal);
      await sleep(2000);
      stopWriting.abort();
      await writing;
    });
    expect(report.drained).toBe(true);
    await expectConverged(source, sourceClient, target, targetClient);
  }, 40_000);
});

describe('migrate sync of big keys', () => {
  for (const [how, upstash] of [
    ['DUMP + RESTORE (the target takes the source’s payloads)', false],
    ['chunks (an Upstash source, whose payloads ElastiCache refuses)', true],
  ] as const) {
    it(`re-copies big collections that change all the time, whole, with ${how}`, async () => {
      const source = await startRedis({ args: notifyArgs });
      const target = await startRedis();
      const sourceClient = source.client();
      const targetClient = target.client();
      await seedBigKeys(sourceClient);
      const stopWriting = new AbortController();
      const { report } = await syncWhile(
        source,
        target,
        async () => {
          await targetClient.config('RESETSTAT'); // count the streaming copies only, not the initial copy's
          const writing = Promise.all([
            writeBigChanges(sourceClient, stopWriting.signal),
            writeChanges(sourceClient, 'small:', stopWriting.signal),
          ]);
          await sleep(2500);
          stopWriting.abort();
          await writing;
        },
        {},
        upstash,
      );
      expect(report.drained).toBe(true);
      expect(report.deadLetters).toEqual([]);
      const restores = /cmdstat_restore:calls=(\d+)/.exec(await targetClient.info('commandstats'))?.[1];
      if (upstash) expect(restores).toBeUndefined();
      else expect(Number(restores)).toBeGreaterThan(bigKeyNames.length);
      for (const key of bigKeyNames) expect(await targetClient.type(key)).toBe(await sourceClient.type(key));
      await expectConverged(source, sourceClient, target, targetClient);
    }, 40_000);
  }
});
