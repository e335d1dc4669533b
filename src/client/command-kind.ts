import { exists, getKeyIndexes, hasFlag } from '@ioredis/commands';
import type { Command } from 'ioredis';

/** How the client routes a command (key positions and flags from ioredis's own command table). */
export type CommandKind =
  /** The read side of the keys' slot; a sample is compared with the other side in shadow/live. */
  | 'read'
  /** The primary, then its keys are re-copied to the secondary. */
  | 'write'
  /** The primary; its declared keys are mirrored whatever it answers (a failing script may have written). */
  | 'script'
  /** The primary only, on a connection of its own; moved, with the time left, when the primary moves. */
  | 'blocking'
  /** The primary, and the other side too while both are live (PUBLISH, SCRIPT LOAD, FUNCTION LOAD …). */
  | 'broadcast'
  /** A subscriber connection on the read side, moved when the read side moves. */
  | 'subscribe'
  /** The primary, nothing mirrored (WATCH, PING, INFO, CLIENT …). */
  | 'primary'
  /** A write without keys (FLUSHDB, SWAPDB): it cannot be mirrored, so it is refused while a mirror runs. */
  | 'keyless-write'
  | 'quit'
  | 'unsupported';

export interface Classified {
  kind: CommandKind;
  /** Lower-case command name. */
  name: string;
  keys: Array<Buffer | string>;
}

const subscribeCommands = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);
const scriptCommands = new Set(['eval', 'evalsha', 'fcall']);
/** Commands that need one connection's state across calls, which a client spread over two servers cannot give. */
const unsupported = new Set(['multi', 'exec', 'discard', 'monitor', 'select', 'reset', 'migrate']);

export function classify(command: Command): Classified {
  const name = command.name.toLowerCase();
  const args = command.args as Array<Buffer | string | number>;
  if (!exists(name)) {
    // A module command (JSON.SET, …): its first argument is the key in every module we know; treated as a write.
    const first = args[0];
    return { kind: 'write', name, keys: first === undefined || typeof first === 'number' ? [] : [first] };
  }
  const keys = getKeyIndexes(name, args).map((i) => args[i] as Buffer | string);
  return { kind: kindOf(name, args, keys.length > 0), name, keys };
}

function kindOf(name: string, args: Array<Buffer | string | number>, keyed: boolean): CommandKind {
  if (name === 'quit') return 'quit';
  if (unsupported.has(name)) return 'unsupported';
  if (subscribeCommands.has(name)) return 'subscribe';
  if (isBroadcast(name, args)) return 'broadcast';
  if (scriptCommands.has(name)) return 'script';
  if (hasFlag(name, 'blocking') && (!name.startsWith('xread') || hasBlockOption(args))) return 'blocking';
  if (hasFlag(name, 'write')) return keyed ? 'write' : 'keyless-write';
  if (hasFlag(name, 'readonly')) return 'read';
  return 'primary';
}

function isBroadcast(name: string, args: Array<Buffer | string | number>): boolean {
  if (name === 'publish' || name === 'spublish') return true;
  const sub = String(args[0] ?? '').toLowerCase();
  if (name === 'script') return sub === 'load';
  return name === 'function' && ['load', 'delete', 'flush', 'restore'].includes(sub);
}

/** XREAD and XREADGROUP block only with the BLOCK option, given before STREAMS. */
function hasBlockOption(args: Array<Buffer | string | number>): boolean {
  for (const arg of args) {
    const word = String(arg).toUpperCase();
    if (word === 'STREAMS') return false;
    if (word === 'BLOCK') return true;
  }
  return false;
}
