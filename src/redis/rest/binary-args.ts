import type { Arg, Command } from '../port.js';

/**
 * JSON carries text only, so an argument that is not valid UTF-8 cannot travel in a REST request as it is. Such a
 * command is sent as an EVAL whose preamble decodes hex-encoded arguments back to bytes (Lua strings are
 * binary-safe): one billed command, like the original. Hex rather than base64: a one-line Lua decoder.
 */

/** True when the bytes survive a UTF-8 round trip (and so a JSON string). */
export const isUtf8 = (bytes: Buffer): boolean => Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);

const needsHex = (arg: Arg): arg is Buffer => Buffer.isBuffer(arg) && !isUtf8(arg);

/** True when some argument of the command cannot travel as JSON text. */
export const hasBinaryArgs = (command: Command): boolean => command.args.some(needsHex);

/**
 * Shadows KEYS and ARGV with decoded copies. The last ARGV is a mask, one character per key then argument:
 * '1' = hex-encoded. Locals, not writes to the globals, so the wrapped script body runs unchanged.
 */
const preamble = `
local __mask = ARGV[#ARGV]
local function __unhex(s) return (string.gsub(s, '%x%x', function(h) return string.char(tonumber(h, 16)) end)) end
local __keys, __argv = {}, {}
for i = 1, #KEYS do
  if string.sub(__mask, i, i) == '1' then __keys[i] = __unhex(KEYS[i]) else __keys[i] = KEYS[i] end
end
for i = 1, #ARGV - 1 do
  local j = #KEYS + i
  if string.sub(__mask, j, j) == '1' then __argv[i] = __unhex(ARGV[i]) else __argv[i] = ARGV[i] end
end
local KEYS, ARGV = __keys, __argv
`;

/** A script that decodes its arguments first; the body is unchanged. */
export const withArgDecoding = (body: string): string => `${preamble}${body}`;

/** Runs any command given as ARGV (name first); pcall hands the server's error back as the reply. */
const anyCommandScript = withArgDecoding('return redis.pcall(unpack(ARGV))');

/** Hex-encodes the binary arguments and appends the mask the preamble reads. */
function encodeArgs(args: Arg[]): Arg[] {
  const mask = args.map((arg) => (needsHex(arg) ? '1' : '0')).join('');
  return [...args.map((arg) => (needsHex(arg) ? arg.toString('hex') : arg)), mask];
}

/**
 * The same command with binary arguments made JSON-safe, or an Error when it cannot be (EVALSHA of a script whose
 * body is unknown here).
 */
export function binarySafe(
  command: Command,
  scriptBody: (sha: string) => string | undefined,
): Command | Error {
  const { name, args } = command;
  if (name === 'EVAL' || name === 'EVALSHA') {
    const body = name === 'EVAL' ? String(args[0]) : scriptBody(String(args[0]));
    if (body === undefined) {
      return new Error(
        'a key name that is not valid UTF-8 cannot be sent over REST to this script; use the TCP endpoint',
      );
    }
    const numkeys = args[1] ?? 0;
    return { ...command, name: 'EVAL', args: [withArgDecoding(body), numkeys, ...encodeArgs(args.slice(2))] };
  }
  return { ...command, name: 'EVAL', args: [anyCommandScript, 0, ...encodeArgs([name, ...args])] };
}
