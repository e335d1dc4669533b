import { createHash } from 'node:crypto';
import { usageError } from '../errors.js';
import { addCounts, type CopyCounts, emptyCounts } from '../keys/tally.js';
import { readJsonFile, writeDurably } from '../state/durable-file.js';
import type { CopyOptions } from './options.js';

/** Durable progress of a copy: each node's SCAN cursor ('done' when finished) and the counts behind it. */
export interface Checkpoint {
  version: 1;
  /** Binds the checkpoint to one source, target, filter and mode, so --resume never continues another copy. */
  fingerprint: string;
  source: string;
  target: string;
  mode: 'struct' | 'dump';
  cursors: Record<string, string>;
  counts: CopyCounts;
  sourceCommands: number;
  complete: boolean;
  updatedAt: string;
}

export function copyFingerprint(source: string, target: string, options: CopyOptions): string {
  const identity = JSON.stringify([source, target, options.match, [...options.types].sort()]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/** The checkpoint at `path`, or undefined when there is none (a run killed before its first save). */
export function loadCheckpoint(path: string, fingerprint: string): Checkpoint | undefined {
  let data: unknown;
  try {
    data = readJsonFile(path);
  } catch {
    throw usageError(
      `the checkpoint ${path} is unreadable`,
      'delete it and run the copy again without --resume',
    );
  }
  if (data === undefined) return undefined;
  const checkpoint = data as Checkpoint;
  if (checkpoint.version !== 1 || typeof checkpoint.cursors !== 'object') {
    throw usageError(
      `the checkpoint ${path} is not a copy checkpoint`,
      'pass the file a copy wrote, or run without --resume',
    );
  }
  if (checkpoint.fingerprint !== fingerprint) {
    throw usageError(
      `the checkpoint ${path} belongs to another copy (${checkpoint.source} → ${checkpoint.target}, other --match or --type)`,
      'resume with the same source, target, --match and --type, or run without --resume to start over',
    );
  }
  return checkpoint;
}

export const saveCheckpoint = (path: string, checkpoint: Checkpoint): void =>
  writeDurably(path, `${JSON.stringify({ ...checkpoint, updatedAt: new Date().toISOString() }, null, 2)}\n`);

interface PageEntry {
  node: string;
  cursorAfter: string;
  pendingBatches: number;
  allQueued: boolean;
  counts: CopyCounts;
}

/**
 * Tracks pages in scan order and advances the durable cursor only past pages whose batches all finished, so a
 * crash at any moment resumes at or before every key not yet copied (re-copying is idempotent).
 */
export class Ledger {
  private readonly pages: PageEntry[] = [];
  readonly cursors: Record<string, string>;
  readonly committed: CopyCounts;

  constructor(start?: Checkpoint) {
    this.cursors = { ...(start?.cursors ?? {}) };
    this.committed = start ? { ...start.counts } : emptyCounts();
  }

  open(node: string, cursorAfter: string): PageEntry {
    const page: PageEntry = { node, cursorAfter, pendingBatches: 0, allQueued: false, counts: emptyCounts() };
    this.pages.push(page);
    return page;
  }

  batchStarted(page: PageEntry): void {
    page.pendingBatches++;
  }

  batchFinished(page: PageEntry, counts: CopyCounts): void {
    page.pendingBatches--;
    addCounts(page.counts, counts);
    this.advance();
  }

  allQueued(page: PageEntry): void {
    page.allQueued = true;
    this.advance();
  }

  private advance(): void {
    while (this.pages[0]?.allQueued && this.pages[0].pendingBatches === 0) {
      const page = this.pages.shift()!;
      this.cursors[page.node] = page.cursorAfter;
      addCounts(this.committed, page.counts);
    }
  }
}
