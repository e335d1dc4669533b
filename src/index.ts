/** The library API: the engines and the endpoint layer, for applications and tools that script a migration. */
export { copyKeys, type CopyProgress, type CopyRun } from './copy/copy-keys.js';
export { surveyKeys, type DryRunReport } from './copy/dry-run.js';
export { type CopyOptions, defaultCopyOptions } from './copy/options.js';
export type { CopyReport, CopyCounts, KeyFailure } from './copy/report.js';
export { ExitCode, MigrateError } from './errors.js';
export { openEndpoint, type EndpointOptions } from './redis/connect.js';
export type { RedisPort, Command, Reply } from './redis/port.js';
export { redactUrl } from './redis/url.js';
