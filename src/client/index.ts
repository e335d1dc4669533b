/**
 * `upstash-elasticache-migrate/client`: the library applications import. A drop-in ioredis client that follows the
 * migration's stage, so the switch from Upstash to ElastiCache needs no downtime and no deploy. Importing it starts
 * nothing; it loads no CLI code.
 */
import { MigratingRedis } from './migrating-redis.js';
import type { MigratingClientOptions } from './options.js';

export type { StageRecord } from '../control/stage-record.js';
export type { Stage } from '../control/stages.js';
export { MigrateError } from '../errors.js';
export { MigratingRedis } from './migrating-redis.js';
export type { MigrationStats } from './migration-stats.js';
export type { ClusterEndpoint, EndpointConfig, MigratingClientOptions } from './options.js';

/**
 * A client that answers what `new Redis(url)` answers, routing each command to the source or the target as the
 * migration's stage says (per key's bucket), mirroring writes while both are live and comparing a sample of reads.
 *
 * ```ts
 * const redis = createMigratingClient({ source: process.env.UPSTASH_REDIS_URL, target: process.env.ELASTICACHE_URL });
 * await redis.set('session:42', data, 'EX', 3600);
 * ```
 */
export function createMigratingClient(options: MigratingClientOptions): MigratingRedis {
  return new MigratingRedis(options);
}
