import type { TypeName } from '../redis/types/index.js';

export type CopyMode = 'auto' | 'struct' | 'dump';
export type ConflictPolicy = 'replace' | 'skip' | 'fail';

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
  /** What to do with a key the target already holds; undefined means the target must be empty. */
  onConflict: ConflictPolicy | undefined;
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
}

export const defaultCopyOptions: CopyOptions = {
  match: '*',
  types: [],
  batch: 500,
  concurrency: 4,
  mode: 'auto',
  chunkSize: 1000,
  onConflict: undefined,
  rate: undefined,
  dryRun: false,
  resume: false,
  checkpointFile: '.migrate/copy-checkpoint.json',
  maxInlineBytes: 1024 * 1024,
  maxFailuresListed: 100,
};

/** Largest --chunk-size: a hash chunk (field + value per element) must stay under 3,999 arguments. */
export const maxChunkSize = 1900;
