/** The migration's control state: reserved names, stages, the stage record, heartbeats, sync status, last verify. */
export * from './heartbeats.js';
export * from './last-verify.js';
export * from './migration-status.js';
export * from './names.js';
export * from './stage-record.js';
export * from './stages.js';
export * from './sync-status.js';
