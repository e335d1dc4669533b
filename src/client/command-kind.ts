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

/** Kinds that do not depend on the arguments, by command name: the table is read once per name. */
const kindByName = new Map<string, CommandKind>();
/** Names whose kind depends on their arguments (BLOCK, a subcommand, whether they have keys). */
const argumentDependent = new Set(['xread', 'xreadgroup', 'script', 'function']);

export function classify(command: Command): Classified {
  const name = command.name.toLowerCase();
  const args = command.args as Array<Buffer | string | number>;
  if (!exists(name)) {
    // A module command (JSON.SET, …): its first argument is the key in every module we know; treated as a write.
    const first = args[0];
    return { kind: 'write', name, keys: first === undefined || typeof first === 'number' ? [] : [first] };
  }
  const keys = getKeyIndexes(name, args).map((i) => args[i] as Buffer | string);
  let kind = kindByName.get(name);
  if (kind === undefined) {
    kind = kindOf(name, args);
    if (!argumentDependent.has(name)) kindByName.set(name, kind);
  }
  return { kind: kind === 'write' && keys.length === 0 ? 'keyless-write' : kind, name, keys };
}

const plainByName = new Map<string, CommandKind | null>();
const plainKinds = new Set<CommandKind>(['read', 'write', 'primary', 'broadcast']);

/**
 * The kind of a command that needs nothing but a connection (no subscriber or blocking connection, no script body
 * to remember, no refusal), or undefined. In a stage without mirror or shadow reads it goes straight to the primary;
 * a read, straight to the read side in a stage without shadow reads.
 */
export function plainKind(commandName: string): CommandKind | undefined {
  let plain = plainByName.get(commandName);
  if (plain === undefined) {
    const name = commandName.toLowerCase();
    const kind =
      exists(name) && !argumentDependent.has(name) && !scriptCommands.has(name) && kindOf(name, []);
    plain = kind && plainKinds.has(kind) ? kind : null;
    plainByName.set(commandName, plain);
  }
  return plain ?? undefined;
}

function kindOf(name: string, args: Array<Buffer | string | number>): CommandKind {
  if (name === 'quit') return 'quit';
  if (unsupported.has(name)) return 'unsupported';
  if (subscribeCommands.has(name)) return 'subscribe';
  if (isBroadcast(name, args)) return 'broadcast';
  if (scriptCommands.has(name)) return 'script';
  if (hasFlag(name, 'blocking') && (!name.startsWith('xread') || hasBlockOption(args))) return 'blocking';
  if (hasFlag(name, 'write')) return 'write';
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
