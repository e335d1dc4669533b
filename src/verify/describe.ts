import { displayKey } from '../redis/display.js';
import { expireAtOf } from '../redis/expiry.js';
import { asArray, asNumber, asText, type RedisPort, type Reply } from '../redis/port.js';
import { scriptPerGroup } from '../redis/script-runner.js';
import { readBatchScript } from '../redis/scripts.js';

/** Elements and bytes read for an example: enough to see the difference, never a whole big key. */
const previewElements = 16;
const previewBytes = 256;
const maxShown = 160;

/**
 * Short, printable descriptions of keys as one side holds them now (type, value preview, expiry), for the
 * examples of a report. null for a key that does not exist. One bounded read per node (per slot where the server
 * wants keys declared), all in one round trip.
 */
export async function describeKeys(port: RedisPort, keys: Buffer[]): Promise<Array<string | null>> {
  const calls = await scriptPerGroup(port, readBatchScript, keys, [previewElements, previewBytes, '']);
  const shown: Array<string | null> = keys.map(() => null);
  for (const { indexes, reply } of calls) {
    const flat = asArray(reply);
    indexes.forEach((index, i) => {
      const type = asText(flat[1 + i * 4]);
      const expiry = asNumber(flat[2 + i * 4]);
      const size = asNumber(flat[3 + i * 4]);
      const value = flat[4 + i * 4] ?? null;
      shown[index] =
        reply instanceof Error
          ? `unreadable: ${reply.message}`
          : describe(type, size, value, expireAtOf(expiry));
    });
  }
  return shown;
}

function describe(readType: string, size: number, readValue: Reply, expireAt: number): string | null {
  if (readType === 'none' || readType === '') return null;
  // The read script types a hash whose fields carry expiries 'hash-ttl', its value {pairs, expiries}.
  const fieldTtls = readType === 'hash-ttl';
  const type = fieldTtls ? 'hash' : readType;
  const value = fieldTtls && Array.isArray(readValue) ? (readValue[0] ?? null) : readValue;
  const expiry = expireAt > 0 ? `, expires ${new Date(expireAt).toISOString()}` : ', no TTL';
  return `${shorten(`${type}${sizeText(type, size)} ${preview(type, value)}`)}${expiry}`;
}

const sizeText = (type: string, size: number): string =>
  type === 'string' ? ` (${size} bytes)` : ` (${size})`;

function preview(type: string, value: Reply): string {
  if (value === null || value instanceof Error) return type === 'string' ? '…' : '[too big to show]';
  const items = asArray(value) as Buffer[];
  const show = (b: Reply | undefined) => (Buffer.isBuffer(b) ? displayKey(b, 40) : String(b));
  switch (type) {
    case 'string':
      return Buffer.isBuffer(value) ? `"${displayKey(value, 60)}"` : '';
    case 'hash':
    case 'zset':
      return `{${pairs(items, type === 'zset')
        .map(([a, b]) => `${show(a)}=${show(b)}`)
        .join(', ')}}`;
    case 'set':
      return `{${[...items].sort(Buffer.compare).map(show).join(', ')}}`;
    case 'list':
      return `[${items.map(show).join(', ')}]`;
    case 'stream': {
      const entries = asArray(items[0] ?? null);
      return `[${entries
        .map((e) => {
          const [id, fields] = asArray(e);
          return `${show(id)} ${(asArray(fields ?? null) as Buffer[]).map(show).join(' ')}`;
        })
        .join(', ')}]`;
    }
    default:
      return '';
  }
}

function pairs(items: Buffer[], sortByMember: boolean): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return sortByMember ? out : out.sort((a, b) => Buffer.compare(a[0], b[0]));
}

const shorten = (text: string): string => (text.length > maxShown ? `${text.slice(0, maxShown)}…` : text);
