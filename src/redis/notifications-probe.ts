/**
 * Whether a server sends the keyevent notifications sync needs, found by watching them rather than by reading the
 * setting: ElastiCache refuses CONFIG GET, yet a node-based cluster sends them when its parameter group says so.
 * On every master, a reserved probe key is written once as each type (and deleted, and expired), and each event
 * must arrive within the wait.
 */
import { openChangeFeed } from './change-feed.js';
import { cmd, type RedisPort } from './port.js';
import { reservedPrefix } from './slot.js';

const waitMs = 1500;

/** The event each probe command raises (keyevent channel suffix), covering the classes g $ l s h z t x. */
const probes: Array<[string, (key: string) => (string | number)[], string]> = [
  ['SET', (k) => [k, '1'], 'set'],
  ['DEL', (k) => [k], 'del'],
  ['HSET', (k) => [k, 'f', '1'], 'hset'],
  ['DEL', (k) => [k], 'del'],
  ['LPUSH', (k) => [k, '1'], 'lpush'],
  ['DEL', (k) => [k], 'del'],
  ['SADD', (k) => [k, '1'], 'sadd'],
  ['DEL', (k) => [k], 'del'],
  ['ZADD', (k) => [k, '1', 'm'], 'zadd'],
  ['DEL', (k) => [k], 'del'],
  ['XADD', (k) => [k, '*', 'f', '1'], 'xadd'],
  ['PEXPIRE', (k) => [k, 1], 'expired'],
];

/** One probe key per master (a key in a slot that master owns). */
function probeKeys(port: RedisPort): string[] {
  const byNode = new Map<string, string>();
  for (let n = 0; byNode.size < port.nodes().length && n < 100_000; n++) {
    const key = `${reservedPrefix}probe:{${n.toString(36)}}`;
    const node = port.nodeOf(key);
    if (!byNode.has(node)) byNode.set(node, key);
  }
  return [...byNode.values()];
}

export async function sendsKeyEvents(port: RedisPort): Promise<boolean> {
  const keys = probeKeys(port);
  const expected = new Map(keys.map((key) => [key, probes.map(([, , event]) => event)]));
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const feed = await openChangeFeed(port, {
    onKey(key, event) {
      const wanted = expected.get(key.toString());
      if (!wanted || wanted[0] !== event) return;
      wanted.shift();
      if ([...expected.values()].every((w) => w.length === 0)) done();
    },
    onGap() {},
  });
  try {
    for (const key of keys) {
      await port.exec(probes.map(([name, args]) => cmd(name, args(key), key)));
      // An expired key is noticed when touched (or by the server's own cycle a little later).
      setTimeout(() => void port.exec([cmd('EXISTS', [key], key)]).catch(() => {}), 20);
    }
    const timer = new Promise<void>((resolve) => setTimeout(resolve, waitMs));
    await Promise.race([all, timer]);
    return [...expected.values()].every((w) => w.length === 0);
  } finally {
    await feed.close();
    await port.exec(keys.map((key) => cmd('DEL', [key], key))).catch(() => {});
  }
}
