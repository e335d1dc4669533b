import { ExitCode, MigrateError } from '../errors.js';
import { asText, type Reply } from '../redis/port.js';
import { scriptsRefused } from './fallback-read.js';
import type { ConflictPolicy } from './options.js';
import type { KeyOutcome } from './tally.js';

const conflictHint = 'rerun with --on-conflict replace (overwrite) or skip';

/** Errors that make going on pointless: the run stops, saves its checkpoint and names what to do. */
export function fatalReplyError(error: Error, role: 'source' | 'target'): MigrateError | undefined {
  const message = error.message;
  if (/^OOM\b/.test(message)) {
    return new MigrateError(`${role} is out of memory: ${message}`, {
      code: ExitCode.incomplete,
      hint: 'raise maxmemory or pick a larger node type, then rerun with --resume',
      cause: error,
    });
  }
  if (
    /max (daily )?requests? limit exceeded|max concurrent connections exceeded|max request limit/i.test(
      message,
    )
  ) {
    return new MigrateError(`${role}: Upstash quota reached: ${message}`, {
      code: ExitCode.connect,
      hint: 'raise the database plan or limit in the Upstash console (or wait for the daily reset), then rerun with --resume',
      cause: error,
    });
  }
  if (/^(NOAUTH|WRONGPASS|NOPERM)\b/.test(message)) {
    return new MigrateError(`${role}: not allowed: ${message}`, {
      code: ExitCode.connect,
      hint: 'check the user, password and ACL permissions, then rerun with --resume',
      cause: error,
    });
  }
  return undefined;
}

/** `BatchContext.stopIfFatal` for runs that stop at every fatal error (copy, verify's repair). */
export function throwIfFatal(error: Error, role: 'source' | 'target'): void {
  const fatal = fatalReplyError(error, role);
  if (fatal) throw fatal;
}

/** A per-key error reply as a reason an operator can act on. */
export function failureReason(error: Error): string {
  const message = error.message.replace(/^ERR Error running script.*?: /, '').replace(/\s+/g, ' ');
  if (scriptsRefused(error))
    return 'the source refuses Lua scripts, which dump mode needs; use --mode struct';
  if (/WRONGTYPE/.test(message)) return `target key holds another type (WRONGTYPE); ${conflictHint}`;
  if (/DUMP payload version or checksum are wrong|Bad data format/i.test(message)) {
    return 'target refused the DUMP payload (RDB version); use --mode struct';
  }
  if (/unknown command .?JSON\.|ERR unknown command `JSON/i.test(message)) {
    return 'target cannot store JSON documents (no JSON module); enable RedisJSON / valkey-json on the target';
  }
  if (/ERR unsupported type/.test(message)) return message.replace(/^ERR /, 'source type not supported: ');
  return message;
}

/** Outcome of a struct write (write script, or SET for strings) or a RESTORE. */
export function writeOutcome(reply: Reply | undefined, policy: ConflictPolicy, bytes: number): KeyOutcome {
  if (reply instanceof Error) {
    if (/^BUSYKEY/.test(reply.message)) return conflict(policy, 'exists on target');
    return { kind: 'failed', reason: failureReason(reply) };
  }
  if (reply === null || reply === undefined) return conflict(policy, 'exists on target'); // SET NX refused
  const text = asText(reply);
  if (text === 'OK' || text === 'ok') return { kind: 'copied', bytes };
  // 'stale': a stamped write found a newer copy already there (src/keys/stamp.ts), so there was nothing to write.
  if (text === 'skipped' || text === 'stale') return { kind: 'skipped' };
  if (text === 'expired') return { kind: 'expired' };
  if (text.startsWith('exists:')) return conflict(policy, `exists on target as ${text.slice(7)}`);
  return { kind: 'failed', reason: `unexpected reply ${text}` };
}

function conflict(policy: ConflictPolicy, what: string): KeyOutcome {
  return policy === 'skip'
    ? { kind: 'skipped' }
    : { kind: 'failed', reason: `${what} (--on-conflict ${policy}); ${conflictHint}` };
}
