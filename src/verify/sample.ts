import { scanPages } from '../keys/scanner.js';
import { keyRulesOf } from '../redis/key-rules.js';
import { asArray, cmd, type RedisPort } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { isReserved } from '../redis/slot.js';
import type { SampleInfo } from './report.js';
import { randomKeysScript } from './scripts.js';

/** The keys drawn, by the source node that holds them. */
export interface DrawnSample {
  byNode: Map<string, Buffer[]>;
  info: SampleInfo;
}

const drawsPerCall = 1000;

/**
 * Draws a random sample of source keys.
 *
 * Without --match: RANDOMKEY, called inside one script per 1,000 draws (one billed command), on each master in
 * proportion to its DBSIZE. Cheap (a 1,000-key sample costs one source command plus one per 1,000 keys compared)
 * but near-uniform rather than exactly uniform: Redis picks a random hash-table bucket first, which slightly
 * favours keys in sparsely filled buckets, and it draws with replacement (repeats are compared once). Detection
 * power is computed from the draws: P(find) = 1 - (1 - p)^n.
 *
 * With --match, or when the sample is as large as the database: reservoir sampling over a SCAN (algorithm R),
 * exactly uniform over matching keys, at the cost of one SCAN command per page of the whole keyspace.
 */
export async function drawSample(
  source: RedisPort,
  size: number,
  match: string,
  sizes: Map<string, number>,
  signal?: AbortSignal,
): Promise<DrawnSample> {
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  if (match !== '*' || size >= total) return reservoir(source, size, match, signal);
  const byNode = new Map<string, Buffer[]>();
  const wanted = allocate(size, sizes, total);
  let draws = 0;
  for (const [node, count] of wanted) {
    const seen = new Map<string, Buffer>();
    // Reserved keys drawn are put back and drawn again, a few rounds at most (they are few).
    let missing = count;
    for (let round = 0; round < 3 && missing > 0; round++) {
      const keys = await randomKeys(source, node, missing);
      if (keys.length === 0) break;
      const usable = keys.filter((key) => !isReserved(key));
      for (const key of usable) seen.set(key.toString('latin1'), key);
      draws += usable.length;
      missing -= usable.length;
    }
    byNode.set(node, [...seen.values()]);
  }
  const distinct = [...byNode.values()].reduce((n, keys) => n + keys.length, 0);
  return {
    byNode,
    info: {
      method: 'randomkey',
      draws,
      distinct,
      explanation:
        `${draws} RANDOMKEY draws (${distinct} distinct keys), spread over masters by DBSIZE: near-uniform and ` +
        'one source command per 1,000 draws; use --match for an exactly uniform reservoir sample over a SCAN, or --full',
      detection: detection(draws),
    },
  };
}

/** Draws for each node, in proportion to its size (a multinomial draw, so every key has the same chance). */
function allocate(size: number, sizes: Map<string, number>, total: number): Map<string, number> {
  const nodes = [...sizes].filter(([, n]) => n > 0);
  const wanted = new Map<string, number>(nodes.map(([node]) => [node, 0]));
  for (let i = 0; i < size; i++) {
    let pick = Math.random() * total;
    for (const [node, n] of nodes) {
      pick -= n;
      if (pick < 0 || node === nodes.at(-1)![0]) {
        wanted.set(node, wanted.get(node)! + 1);
        break;
      }
    }
  }
  return wanted;
}

/** RANDOMKEY draws on one node: inside a script where the server allows it, else one pipelined command per draw. */
async function randomKeys(source: RedisPort, node: string, count: number): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  for (let left = count; left > 0; left -= drawsPerCall) {
    const n = Math.min(left, drawsPerCall);
    // A keyless script is refused where keys must be declared (a Serverless source: a rollback's verify).
    const [reply] =
      keyRulesOf(source) === 'by-slot'
        ? [new Error('keyless scripts refused')]
        : await execScripts(
            source,
            [scriptCommand(randomKeysScript, undefined, [n])],
            [randomKeysScript],
            node,
          );
    const drawn =
      reply instanceof Error
        ? await source.exec(
            Array.from({ length: n }, () => cmd('RANDOMKEY', [])),
            node,
          )
        : asArray(reply);
    keys.push(...drawn.filter((key): key is Buffer => Buffer.isBuffer(key)));
  }
  return keys;
}

/** Exactly uniform sample without replacement (algorithm R) over every matching key. */
async function reservoir(
  source: RedisPort,
  size: number,
  match: string,
  signal?: AbortSignal,
): Promise<DrawnSample> {
  const chosen: Array<{ node: string; key: Buffer }> = [];
  let seen = 0;
  for await (const page of scanPages(source, { match, count: 2000, signal })) {
    for (const key of page.keys) {
      seen++;
      if (chosen.length < size) chosen.push({ node: page.node, key });
      else {
        const slot = Math.floor(Math.random() * seen);
        if (slot < size) chosen[slot] = { node: page.node, key };
      }
    }
  }
  const byNode = new Map<string, Buffer[]>();
  for (const { node, key } of chosen) {
    const keys = byNode.get(node);
    if (keys) keys.push(key);
    else byNode.set(node, [key]);
  }
  const all = chosen.length === seen;
  return {
    byNode,
    info: {
      method: all ? 'all' : 'reservoir',
      draws: chosen.length,
      distinct: chosen.length,
      explanation: all
        ? `the sample covers all ${seen} matching keys, so every one was compared`
        : `${chosen.length} of ${seen} matching keys, drawn by reservoir sampling over a SCAN: exactly uniform, without replacement`,
      detection: detection(all ? Number.POSITIVE_INFINITY : chosen.length),
    },
  };
}

/** Chance of finding at least one different key when a share p of keys differs, for n draws. */
export const detection = (draws: number): SampleInfo['detection'] =>
  [0.001, 0.01, 0.05].map((p) => ({
    differingShare: p,
    probability: draws === Number.POSITIVE_INFINITY ? 1 : 1 - (1 - p) ** draws,
  }));
