import { type Arg, asArray, type RedisPort, type Reply } from '../port.js';

export { asArray };

/** Most arguments one request may carry, its name included: ElastiCache Serverless refuses 4,000 or more. */
export const maxRequestArgs = 3999;
/** Room the write script call takes besides its payload (EVALSHA, sha, numkeys, key, type, expiry, policy). */
export const writeScriptOverhead = 7;

/** Reads and writes one Redis type. Payloads are the write script's arguments after type, expiry and policy. */
export interface TypeCodec {
  /** The payload for a value the batch read script returned inline. */
  payload(value: Reply): Arg[];
  /** Reads a key too big to inline, as payloads each small enough for one request. */
  chunks(source: RedisPort, key: Buffer, chunkSize: number): AsyncGenerator<Arg[]>;
}

export const asArg = (reply: Reply | undefined): Arg =>
  Buffer.isBuffer(reply) || typeof reply === 'number' ? reply : '';

/** Runs one read command on the source, throwing its error. */
export async function read(source: RedisPort, name: string, args: Arg[], key: Buffer): Promise<Reply> {
  const [reply] = await source.exec([{ name, args, key }]);
  if (reply instanceof Error) throw reply;
  return reply ?? null;
}

/** Iterates a SCAN-family command (HSCAN, SSCAN, ZSCAN) over one key, yielding each page's flat items. */
export async function* scanKey(
  source: RedisPort,
  name: string,
  key: Buffer,
  count: number,
): AsyncGenerator<Reply[]> {
  let cursor = '0';
  do {
    const page = asArray(await read(source, name, [key, cursor, 'COUNT', count], key));
    cursor = String(page[0] ?? '0');
    const items = asArray(page[1]);
    if (items.length > 0) yield items;
  } while (cursor !== '0');
}

/** Source commands a copy in chunks of `chunkSize` elements costs. */
export const elementChunks = (size: number, chunkSize: number): number => Math.ceil(size / chunkSize);
