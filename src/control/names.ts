/**
 * The reserved key names of the migration's control state, in one place. Every name is in the reserved namespace,
 * which copy, verify and sync always leave out; `migrate status`, cutover, rollback and the client read them here.
 */
import { reservedPrefix } from '../redis/slot.js';

export { reservedPrefix };

/** Hash on both servers: stage, epoch, percent, fenced, changedAt, reason (the stage record). */
export const stageKey = `${reservedPrefix}stage`;
/** Channel on both servers where every new stage epoch is published. */
export const stageChannel = `${reservedPrefix}stage`;
/** List on both servers: one JSON entry per stage change, oldest first. */
export const stageHistoryKey = `${reservedPrefix}stage:history`;
/** A running cutover or rollback holds this on the target, so two never interleave. */
export const switchLockKey = `${reservedPrefix}switch:lock`;
/** Prefix of each application instance's heartbeat on the target (`__migrate:client:<id>`, TTL'd). */
export const clientKeyPrefix = `${reservedPrefix}client:`;
/** Sorted set on the target: client id → when its heartbeat expires, so readers find clients without a SCAN. */
export const clientIndexKey = `${reservedPrefix}clients`;
/** Where a running sync publishes its status and heartbeat, on the target. */
export const syncStatusKey = `${reservedPrefix}sync`;
/** Where the last verify outcome lives, on the target. */
export const lastVerifyKey = `${reservedPrefix}verify:last`;
/** Keys the client could not mirror: sync, verify --repair and the rollback catch-up copy them again. */
export const repairSetKey = `${reservedPrefix}repair`;
