import type { FieldTtlPolicy } from '../keys/field-ttl.js';
import {
  type ConflictPolicy,
  type CopyMode,
  defaultFailuresListed,
  defaultKeyCopyOptions,
} from '../keys/options.js';
import type { TypeName } from '../redis/types/index.js';

// Copy's flags take these as they are: the kit's modes, conflict policies and chunk limit.
export type { FieldTtlPolicy } from '../keys/field-ttl.js';
export { type ConflictPolicy, type CopyMode, maxChunkSize } from '../keys/options.js';

/**
 * A run's answer to a target that holds keys: 'refuse' stops before the first write unless the run resumes (keys
 * met after that are replaced); the others copy onto it and decide per key.
 */
export type OnConflict = 'refuse' | ConflictPolicy;

/** What each write does under a run's `onConflict`: the one place 'refuse' is turned into a per-key policy. */
export const writePolicy = (onConflict: OnConflict): ConflictPolicy =>
  onConflict === 'refuse' ? 'replace' : onConflict;

export interface CopyOptions {
  /** SCAN MATCH glob. @default '*' */
  match: string;
  /** Only these types; empty means all. */
  types: TypeName[];
  /** Keys per read batch (one source command in struct mode). @default 500 */
  batch: number;
  /** Batches in flight at once. @default 4 */
  concurrency: number;
  /** @default 'auto' */
  mode: CopyMode;
  /** Elements per chunk when a big collection is copied in pieces. @default 1000 */
  chunkSize: number;
  /** What to do when the target already holds keys. @default 'refuse' */
  onConflict: OnConflict;
  /** Cap on source commands per second; undefined means no cap. */
  rate: number | undefined;
  /** Scan and report counts, bytes and estimated commands; write nothing. */
  dryRun: boolean;
  /** Continue from the checkpoint (from the start when there is none yet); implies the target may hold keys. */
  resume: boolean;
  /** Where the checkpoint lives. @default '.migrate/copy-checkpoint.json' */
  checkpointFile: string;
  /** Strings larger than this are copied in pieces. @default 1 MiB */
  maxInlineBytes: number;
  /** How many failures the report lists (all are counted). @default 100 */
  maxFailuresListed: number;
  /** Copy only keys it accepts (sync: the buckets whose primary is this side); undefined copies every key. */
  keyFilter?: ((key: Buffer) => boolean) | undefined;
  /** Hash-field expiries a target cannot hold: 'keep' refuses the copy; 'drop' or 'skip-fields'. @default 'keep' */
  fieldTtl: FieldTtlPolicy;
}

export const defaultCopyOptions: CopyOptions = {
  match: '*',
  types: [],
  batch: 500,
  concurrency: 4,
  mode: 'auto',
  chunkSize: defaultKeyCopyOptions.chunkSize,
  onConflict: 'refuse',
  rate: undefined,
  dryRun: false,
  resume: false,
  checkpointFile: '.migrate/copy-checkpoint.json',
  maxInlineBytes: defaultKeyCopyOptions.maxInlineBytes,
  maxFailuresListed: defaultFailuresListed,
  fieldTtl: defaultKeyCopyOptions.fieldTtl,
};
