import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { usageError } from '../errors.js';

/** A cluster endpoint: a URL (`rediss://user:pass@config-endpoint:6379`) or ioredis startup nodes. */
export interface ClusterEndpoint {
  cluster: string | ClusterNode[];
  /** Passed to ioredis's Cluster as they are (TLS, auth and DNS options for a URL are filled in). */
  options?: ClusterOptions;
}

/** One side: a URL or options as `new Redis(…)` takes them, or a cluster. */
export type EndpointConfig = string | RedisOptions | ClusterEndpoint;

export interface MigratingClientOptions {
  /** The server the application uses today (Upstash). */
  source: EndpointConfig;
  /** The server it moves to (ElastiCache). */
  target: EndpointConfig;
  /** This instance's id in its heartbeat. @default `<host>:<pid>:<random>` */
  clientId?: string;
  /** Prefix added to every key, as ioredis's `keyPrefix` (given here, not per endpoint). */
  keyPrefix?: string;
  /** Share of reads also read from the other side and compared, in `shadow` and `live`. @default 0.01 */
  shadowSampleRate?: number;
  /** Wait before a differing key is compared again. @default 200 */
  shadowRecheckMs?: number;
  /** Example keys kept of shadow mismatches. @default 10 */
  shadowExamples?: number;
  /** Keys waiting to be mirrored at most; more are recorded for repair instead. @default 10000 */
  mirrorQueueLimit?: number;
  /** Keys per mirror read (one script call on the primary). @default 500 */
  mirrorBatch?: number;
  /** How long a mirror batch waits for more keys before it is read: fewer billed reads per write. @default 5 */
  mirrorLingerMs?: number;
  /** Tries of a key's mirror before it is recorded for repair. @default 5 */
  mirrorAttempts?: number;
  /** How long a write to a slot whose primary is switching is held before it fails. @default 10000 */
  fenceTimeoutMs?: number;
  /** Without a readable stage record for this long, writes are held rather than routed by a guess. @default 5000 */
  leaseMs?: number;
  /** How often the stage record is read, beside the channel. @default 1000 */
  pollMs?: number;
  /** How often the heartbeat is refreshed. @default 2000 */
  heartbeatEveryMs?: number;
}

export type ClientSettings = Required<Omit<MigratingClientOptions, 'source' | 'target' | 'keyPrefix'>> & {
  keyPrefix: string | undefined;
};

export const defaultClientSettings: Omit<ClientSettings, 'clientId' | 'keyPrefix'> = {
  shadowSampleRate: 0.01,
  shadowRecheckMs: 200,
  shadowExamples: 10,
  mirrorQueueLimit: 10_000,
  mirrorBatch: 500,
  mirrorLingerMs: 20,
  mirrorAttempts: 5,
  fenceTimeoutMs: 10_000,
  leaseMs: 5_000,
  pollMs: 1_000,
  heartbeatEveryMs: 2_000,
};

/** The options with their defaults, checked once. */
export function resolveSettings(options: MigratingClientOptions): ClientSettings {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const settings: ClientSettings = {
    ...defaultClientSettings,
    ...given,
    clientId: options.clientId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    keyPrefix: options.keyPrefix,
  };
  if (!(settings.shadowSampleRate >= 0 && settings.shadowSampleRate <= 1)) {
    throw usageError(`shadowSampleRate must be between 0 and 1 (got ${settings.shadowSampleRate})`);
  }
  for (const name of [
    'mirrorQueueLimit',
    'mirrorBatch',
    'mirrorAttempts',
    'fenceTimeoutMs',
    'leaseMs',
  ] as const) {
    if (!(Number.isInteger(settings[name]) && settings[name] > 0)) {
      throw usageError(`${name} must be a positive whole number (got ${settings[name]})`);
    }
  }
  return settings;
}
