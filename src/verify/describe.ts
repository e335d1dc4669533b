import { expireAtOf } from '../redis/expiry.js';
import { asArray, asNumber, asText, type RedisPort, type Reply } from '../redis/port.js';
import { scriptPerGroup } from '../redis/script-runner.js';
import { readBatchScript } from '../redis/scripts.js';
import { type RedisType, typeForm } from '../redis/types/index.js';

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
  // A variant shows as its type ('hash-ttl', a hash whose fields carry expiries, as a hash).
  const form = typeForm(readType);
  const type = form?.type;
  const value = form ? form.plain(readValue) : readValue;
  const name = type?.server ?? readType;
  const sizeText = type?.sizeIn === 'bytes' ? ` (${size} bytes)` : ` (${size})`;
  const expiry = expireAt > 0 ? `, expires ${new Date(expireAt).toISOString()}` : ', no TTL';
  return `${shorten(`${name}${sizeText} ${preview(type, value)}`)}${expiry}`;
}

function preview(type: RedisType | undefined, value: Reply): string {
  if (value === null || value instanceof Error) return type?.sizeIn === 'bytes' ? '…' : '[too big to show]';
  return type ? type.preview(value) : '';
}

const shorten = (text: string): string => (text.length > maxShown ? `${text.slice(0, maxShown)}…` : text);
