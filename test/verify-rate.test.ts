/** verifyKeys caps source commands at `rate` per second itself, so library callers get the cap the CLI gives. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBetween } from './support/copy.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { verifyBetween } from './support/verify.js';

describe('verify --rate', () => {
  let source: TestServer;
  let target: TestServer;
  let sourceClient: Redis;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    sourceClient = source.client();
    for (let i = 0; i < 40; i++) await sourceClient.set(`rate:${i}`, `v${i}`);
    await copyBetween(source.url, target.url, { checkpointFile: dir.file('copy.json') });
  }, 60_000);

  afterAll(async () => {
    sourceClient?.disconnect();
    await stopAll();
    dir.remove();
  });

  it('sends no more source commands than the rate allows (one second of burst, then `rate` per second)', async () => {
    const rate = 20;
    // Small batches make many source commands: more than two seconds' worth at this rate.
    const started = performance.now();
    const report = await verifyBetween(source.url, target.url, {
      mode: 'full',
      batch: 2,
      rate,
      saveResult: false,
    });
    const elapsedSeconds = (performance.now() - started) / 1000;
    expect(report).toMatchObject({ ok: true, checked: 40 });
    expect(report.sourceCommands).toBeGreaterThan(2 * rate);
    // A token bucket holding `rate` tokens, refilled at `rate` per second, lets no more than this through.
    expect(report.sourceCommands).toBeLessThanOrEqual(rate * (1 + elapsedSeconds));
  });
});
