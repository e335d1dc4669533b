import { usageError } from '../errors.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { reservedPrefix, tempKeyFor } from '../redis/slot.js';
import { fatalReplyError } from './outcome.js';
import { scanPages } from './scanner.js';

/** The server's run_id, or undefined where the server does not say (Upstash). */
async function runId(port: RedisPort): Promise<string | undefined> {
  const info = asText(await call(port, cmd('INFO', ['server']), port.nodes()[0]).catch(() => null));
  return /run_id:(\w+)/.exec(info)?.[1];
}

/** Refuses a copy onto the very server it reads from. */
export async function refuseSameServer(source: RedisPort, target: RedisPort): Promise<void> {
  const [a, b] = await Promise.all([runId(source), runId(target)]);
  if (a !== undefined && a === b) {
    throw usageError(
      'source and target are the same server (same run_id)',
      'point --target at the new ElastiCache endpoint',
    );
  }
}

/** True when the target holds any key outside the reserved namespace. */
export async function holdsUserKeys(target: RedisPort): Promise<boolean> {
  for await (const page of scanPages(target, { match: '*', count: 1000 })) {
    if (page.keys.length > 0) return true;
  }
  return false;
}

/** Deletes temporary keys an interrupted run left behind (they would otherwise linger until their safety TTL). */
export async function removeLeftoverTempKeys(target: RedisPort): Promise<number> {
  let removed = 0;
  const match = `${reservedPrefix}tmp:*`;
  for await (const page of scanPages(target, { match, count: 1000, includeReserved: true })) {
    if (page.keys.length > 0) await target.exec(page.keys.map((key) => cmd('DEL', [key], key)));
    removed += page.keys.length;
  }
  return removed;
}

/**
 * Whether the target accepts the source's DUMP payloads: DUMP one real key and RESTORE it under a temporary key.
 * Upstash payloads carry an RDB version ElastiCache refuses, so this is what keeps auto mode safe.
 */
export async function targetAcceptsDumps(
  source: RedisPort,
  target: RedisPort,
  sampleKey: Buffer,
): Promise<boolean> {
  const payload = await call(source, cmd('DUMP', [sampleKey], sampleKey)).catch(() => null);
  if (!Buffer.isBuffer(payload)) return false;
  const probe = tempKeyFor(sampleKey);
  const [restored] = await target.exec([cmd('RESTORE', [probe, 60_000, payload, 'REPLACE'], probe)]);
  await target.exec([cmd('DEL', [probe], probe)]);
  const fatal = restored instanceof Error ? fatalReplyError(restored, 'target') : undefined;
  if (fatal) throw fatal;
  return !(restored instanceof Error);
}
