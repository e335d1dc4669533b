/**
 * The two baselines, each run as its own process (so its RSS is measured like the tool's):
 *   node --import tsx bench/baselines.ts migrate|seed-doc <sourceUrl> <targetUrl>
 * prints {"keys":n,"ms":n,"sourceCommands":n}.
 */
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

export interface BaselineResult {
  keys: number;
  ms: number;
  /** Commands sent to the source, counted the way Upstash bills them. */
  sourceCommands: number;
}

const migrateKeysPerCall = 1000;
const migrateScanCount = 5000;

/** Server-native MIGRATE … COPY REPLACE KEYS: each SCAN page split into 1000-key MIGRATEs sent in parallel. */
export async function migrateBaseline(sourceUrl: string, targetUrl: string): Promise<BaselineResult> {
  const target = new URL(targetUrl);
  const source = new Redis(sourceUrl);
  const started = Date.now();
  let keys = 0;
  let commands = 0;
  let cursor = '0';
  do {
    const [next, page] = await source.scanBuffer(cursor, 'COUNT', migrateScanCount);
    commands++;
    cursor = String(next);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < page.length; i += migrateKeysPerCall) {
      const batch = page.slice(i, i + migrateKeysPerCall);
      const args = [target.hostname, target.port, '', 0, 5000, 'COPY', 'REPLACE', 'KEYS', ...batch];
      calls.push(source.callBuffer('MIGRATE', ...args));
      commands++;
    }
    await Promise.all(calls);
    keys += page.length;
  } while (cursor !== '0');
  const ms = Date.now() - started;
  source.disconnect();
  return { keys, ms, sourceCommands: commands };
}

/**
 * The seed document's approach, ported faithfully: SCAN every key into memory, then per batch of 100 one MGET and
 * one MSET, then per key TTL and, when it has one, GET + SET EX (relative seconds). Strings only, by design.
 */
export async function seedDocBaseline(sourceUrl: string, targetUrl: string): Promise<BaselineResult> {
  const upstash = new Redis(sourceUrl);
  const elasticache = new Redis(targetUrl);
  const started = Date.now();
  let commands = 0;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await upstash.scan(cursor, 'MATCH', '*', 'COUNT', 1000);
    commands++;
    cursor = next;
    keys.push(...page);
  } while (cursor !== '0');
  for (let i = 0; i < keys.length; i += 100) {
    const batch = keys.slice(i, i + 100);
    const values = await upstash.mget(...batch);
    commands++;
    const keyValues: Record<string, string> = {};
    batch.forEach((key, j) => {
      const value = values[j];
      if (value !== null && value !== undefined) keyValues[key] = value;
    });
    if (Object.keys(keyValues).length > 0) await elasticache.mset(keyValues);
    for (const key of batch) {
      const ttl = await upstash.ttl(key);
      commands++;
      if (ttl > 0) {
        const value = await upstash.get(key);
        commands++;
        if (value) await elasticache.set(key, value, 'EX', ttl);
      }
    }
  }
  const ms = Date.now() - started;
  upstash.disconnect();
  elasticache.disconnect();
  return { keys: keys.length, ms, sourceCommands: commands };
}

const baselines = { migrate: migrateBaseline, 'seed-doc': seedDocBaseline } as const;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [name, sourceUrl, targetUrl] = process.argv.slice(2);
  const run = baselines[name as keyof typeof baselines];
  if (!run || !sourceUrl || !targetUrl) {
    console.error('usage: baselines.ts migrate|seed-doc <sourceUrl> <targetUrl>');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await run(sourceUrl, targetUrl))}\n`);
}
