/** How one key is copied: the options every engine's key copies share, and their defaults (here and only here). */

import type { FieldTtlPolicy } from './field-ttl.js';

/** What to do with a key the target already holds. */
export type ConflictPolicy = 'replace' | 'skip' | 'fail';

/** How keys are read and written: by type (struct), by DUMP/RESTORE (dump), or dump where the target accepts it. */
export type CopyMode = 'auto' | 'struct' | 'dump';

export interface KeyCopyOptions {
  /** Elements per chunk when a big collection is copied in pieces. @default 1000 */
  chunkSize: number;
  /** Strings larger than this are copied in pieces. @default 1 MiB */
  maxInlineBytes: number;
  /** What to do with a key the target already holds. @default 'replace' */
  onConflict: ConflictPolicy;
  /** Hash-field expiries a target cannot hold: refuse the copy, drop them, or leave their fields out. @default 'keep' */
  fieldTtl: FieldTtlPolicy;
}

export const defaultKeyCopyOptions: KeyCopyOptions = {
  chunkSize: 1000,
  maxInlineBytes: 1024 * 1024,
  onConflict: 'replace',
  fieldTtl: 'keep',
};

/** How many failed keys a report lists (all are counted). */
export const defaultFailuresListed = 100;

/** Largest chunk size: a hash chunk (field + value per element) must stay under 3,999 arguments. */
export const maxChunkSize = 1900;
