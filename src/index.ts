/** The library API: the engines and the endpoint layer, for applications and tools that script a migration. */
export { type CopyProgress, type CopyRun, copyKeys } from './copy/copy-keys.js';
export { type DryRunReport, surveyKeys } from './copy/dry-run.js';
export {
  type ConflictPolicy,
  type CopyOptions,
  defaultCopyOptions,
  type OnConflict,
} from './copy/options.js';
export type { CopyReport } from './copy/report.js';
export * from './cutover/index.js';
export { ExitCode, MigrateError } from './errors.js';
export type { CopyCounts, KeyFailure } from './keys/tally.js';
export { openEndpoint } from './redis/connect.js';
export type { EndpointOptions } from './redis/endpoint-options.js';
export type { Command, RedisPort, Reply } from './redis/port.js';
export { sourceRate, upstashDefaultRate } from './redis/rate-limit.js';
export { boundedReconnect, type ReconnectPolicy } from './redis/reconnect.js';
export { redactUrl } from './redis/url.js';
export { defaultSyncOptions, type SyncOptions } from './sync/options.js';
export { syncKeys } from './sync/sync-keys.js';
export * from './verify/index.js';
