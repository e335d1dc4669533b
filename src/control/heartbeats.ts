/**
 * Application instances (the client library) publish a heartbeat on the target: `__migrate:client:<id>`, a JSON
 * string with a TTL, so a dead instance drops out on its own. The ids are also kept in a sorted set, so readers find
 * the instances without scanning the whole keyspace (SCAN MATCH still visits every key).
 */
import { asArray, asText, cmd, type RedisPort } from '../redis/port.js';
import { clientIndexKey, clientKeyPrefix } from './names.js';
import type { Stage } from './stages.js';

export interface ClientHeartbeat {
  id: string;
  /** The stage epoch this instance routes by. */
  epoch: number;
  stage: Stage;
  percent: number;
  /** True while the instance holds writes for a fenced switch (it acknowledged the fence). */
  holdingWrites: boolean;
  host: string;
  pid: number;
  version: string;
  /** Keys waiting to be mirrored to the secondary. */
  mirrorQueue: number;
  /** Mirror attempts that failed (retried). */
  mirrorFailures: number;
  /** Keys given up on and recorded in `__migrate:repair` for sync / verify --repair. */
  mirrorRecorded: number;
  /**
   * Keys given up on but not yet in `__migrate:repair` (the target did not answer the write), and any that found no
   * room even in memory: "unrecorded failures" to the cutover gate, which must be 0. Absent: an older client.
   */
  mirrorUnrecorded?: number;
  shadowReads: number;
  shadowMismatches: number;
  /** A few keys that shadow reads found different, as printable text. */
  shadowExamples?: string[];
  /** When the instance sent this (its own clock, ms). */
  at: number;
}

/** How long a heartbeat lives unless refreshed. */
export const heartbeatTtlMs = 10_000;
/** How often a client refreshes it. */
export const heartbeatEveryMs = 2_000;

export const clientKey = (id: string): string => `${clientKeyPrefix}${id}`;

export async function publishHeartbeat(
  target: RedisPort,
  heartbeat: ClientHeartbeat,
  ttlMs = heartbeatTtlMs,
): Promise<void> {
  const key = clientKey(heartbeat.id);
  const replies = await target.exec([
    cmd('SET', [key, JSON.stringify(heartbeat), 'PX', ttlMs], key),
    // The index outlives the heartbeat by a minute; the heartbeat's own TTL says whether the instance is alive.
    cmd('ZADD', [clientIndexKey, Date.now() + ttlMs + 60_000, heartbeat.id], clientIndexKey),
    cmd('ZREMRANGEBYSCORE', [clientIndexKey, '-inf', Date.now()], clientIndexKey),
  ]);
  const failed = replies.find((reply) => reply instanceof Error);
  if (failed instanceof Error) throw failed;
}

/** Removes an instance's heartbeat (a clean shutdown). */
export async function removeHeartbeat(target: RedisPort, id: string): Promise<void> {
  await target.exec([
    cmd('DEL', [clientKey(id)], clientKey(id)),
    cmd('ZREM', [clientIndexKey, id], clientIndexKey),
  ]);
}

/** The live instances: every indexed id whose heartbeat has not expired. */
export async function readHeartbeats(target: RedisPort): Promise<ClientHeartbeat[]> {
  const [ids] = await target.exec([cmd('ZRANGE', [clientIndexKey, 0, -1], clientIndexKey)]);
  if (ids instanceof Error) throw ids;
  const names = asArray(ids ?? null).map((id) => asText(id));
  if (names.length === 0) return [];
  const replies = await target.exec(names.map((id) => cmd('GET', [clientKey(id)], clientKey(id))));
  const live: ClientHeartbeat[] = [];
  for (const reply of replies) {
    if (reply instanceof Error) throw reply;
    const text = asText(reply);
    if (text === '') continue;
    try {
      live.push(JSON.parse(text) as ClientHeartbeat);
    } catch {
      // not a heartbeat of ours
    }
  }
  return live;
}
