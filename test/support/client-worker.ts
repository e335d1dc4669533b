/**
 * One application instance of the end-to-end client test (test/client-e2e.test.ts), run as its own process:
 * a realistic mix through the migrating client (shared counters, sessions with a TTL, capped feeds, a leaderboard,
 * hash counters, a MULTI, an EVAL, and reads), logging every acknowledged write, with each counter's reply, as a
 * JSON line written before the next command. On SIGTERM it finishes, quits (draining its mirror) and logs its stats.
 *
 * argv: sourceUrl targetUrl workerId logFile
 */
import { openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMigratingClient } from '../../src/client/index.js';

const [sourceUrl, targetUrl, id, logFile] = process.argv.slice(2) as [string, string, string, string];
const log = openSync(logFile, 'a');
const record = (entry: object) => writeSync(log, `${JSON.stringify({ worker: id, ...entry })}\n`);
const redis = createMigratingClient({
  source: sourceUrl,
  target: targetUrl,
  clientId: `worker-${id}`,
  shadowSampleRate: 0.2,
  shadowRecheckMs: 100,
});
redis.on('error', () => {});
redis.on('secondaryError', () => {});

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
/** Grows across a restart of this worker, so a later write always carries a larger number. */
let seq = Date.now() * 1000;
const rand = (n: number) => Math.floor(Math.random() * n);
const incrAndStamp = "local n = redis.call('INCR', KEYS[1]) redis.call('SET', KEYS[2], ARGV[1]) return n";

async function step(): Promise<void> {
  seq++;
  switch (rand(9)) {
    case 0: {
      const key = `counter:${rand(4)}`;
      record({ op: 'incr', key, value: await redis.incr(key) });
      return;
    }
    case 1: {
      const key = `session:${id}:${rand(20)}`;
      await redis.set(key, String(seq), 'EX', 300);
      record({ op: 'set', key, value: seq });
      return;
    }
    case 2: {
      const key = `feed:${id}`;
      const replies = await redis.pipeline().lpush(key, `e${seq}`).ltrim(key, 0, 49).exec();
      const failed = replies?.find(([error]) => error);
      if (failed) throw failed[0];
      record({ op: 'push', key, value: `e${seq}` });
      return;
    }
    case 3: {
      const member = `player:${rand(8)}`;
      record({ op: 'zincr', key: member, value: Number(await redis.zincrby('board', 1, member)) });
      return;
    }
    case 4: {
      const field = `f${rand(4)}`;
      record({ op: 'hincr', key: field, value: await redis.hincrby('stats', field, 1) });
      return;
    }
    case 5: {
      const key = `tx:{${id}}`;
      const replies = await redis.multi().incr(`${key}:n`).set(`${key}:last`, seq).exec();
      if (!replies || replies[0]?.[0]) throw replies?.[0]?.[0] ?? new Error('transaction aborted');
      record({ op: 'multi', key: `${key}:n`, value: replies[0]![1] });
      return;
    }
    case 6: {
      const key = `ev:{${id}}`;
      const value = await redis.eval(incrAndStamp, 2, `${key}:n`, `${key}:last`, seq);
      record({ op: 'eval', key: `${key}:n`, value });
      return;
    }
    default:
      await Promise.all([
        redis.get(`session:${id}:${rand(20)}`),
        redis.zscore('board', `player:${rand(8)}`),
        redis.hget('stats', `f${rand(4)}`),
        redis.lrange(`feed:${id}`, 0, 4),
        redis.get(`counter:${rand(4)}`),
      ]);
  }
}

record({ op: 'started', pid: process.pid });
while (!stopping) {
  try {
    await step();
  } catch (error) {
    record({ op: 'error', message: error instanceof Error ? error.message : String(error) });
  }
  await sleep(1);
}
await redis.quit();
record({ op: 'stats', stats: redis.migrationStats() });
process.exit(0);
