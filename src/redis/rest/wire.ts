import type { Arg, Command, Reply } from '../port.js';

/** One command as Upstash's REST API takes it: a JSON array of strings (callers made the bytes UTF-8 safe). */
export const wireCommand = (command: Command): string[] => [command.name, ...command.args.map(wireArg)];

const wireArg = (arg: Arg): string => (Buffer.isBuffer(arg) ? arg.toString('utf8') : String(arg));

/** One pipeline entry as the server answers it. */
export interface WireEntry {
  result?: unknown;
  error?: unknown;
}

/**
 * Decodes a result sent with `Upstash-Encoding: base64`: every string is base64 except the status "OK" (which is
 * never valid padded base64), numbers stay numbers, arrays recurse. Bytes stay bytes: nothing is parsed as JSON or
 * decoded as UTF-8.
 */
function decodeResult(raw: unknown): Reply {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') return raw === 'OK' ? Buffer.from('OK') : Buffer.from(raw, 'base64');
  if (Array.isArray(raw)) return raw.map(decodeResult);
  return new Error(`unexpected REST result ${JSON.stringify(raw).slice(0, 80)}`);
}

/** A pipeline entry as a Reply: errors are values, so one bad key never fails the batch. */
export const decodeEntry = (entry: WireEntry | undefined): Reply =>
  entry === undefined || typeof entry !== 'object'
    ? new Error('the REST endpoint answered fewer results than commands sent')
    : entry.error !== undefined && entry.error !== null
      ? new Error(String(entry.error))
      : decodeResult(entry.result);

/** Splits commands into groups whose JSON request body stays within `maxBytes` (the REST request-size limit). */
export function splitBySize(bodies: string[], maxBytes: number): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let size = 2; // the enclosing brackets
  bodies.forEach((body, index) => {
    const bytes = Buffer.byteLength(body) + 1; // plus the separating comma
    if (group.length > 0 && size + bytes > maxBytes) {
      groups.push(group);
      group = [];
      size = 2;
    }
    group.push(index);
    size += bytes;
  });
  if (group.length > 0) groups.push(group);
  return groups;
}
