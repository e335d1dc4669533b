import pLimit from 'p-limit';
import { ExitCode, MigrateError, messageOf } from '../errors.js';
import { retryBatch } from '../retry.js';
import type { BatchContext, BatchCopier } from './batch-context.js';
import { copyDumpBatch } from './dump-batch.js';
import { type CopyMode, defaultFailuresListed } from './options.js';
import { fatalReplyError } from './outcome.js';
import { targetAcceptsDumps } from './preflight.js';
import { type ScanPage, scanPages } from './scanner.js';
import { copyStructBatch } from './struct-batch.js';
import {
  addCounts,
  type CopyCounts,
  emptyCounts,
  type KeyFailure,
  type KeyFieldTtls,
  Tally,
} from './tally.js';

/**
 * One pass over every matching source key (docs/invariants.md #1, #2, #7): SCAN pages feed a bounded number of batches in
 * flight, each copied idempotently and retried on transient trouble. The copy run adds preflight, checkpoint and
 * report around it; sync's initial copy is this pass as it is.
 */

export interface CopyPassOptions {
  /** SCAN MATCH glob. */
  match: string;
  /** Keys per read batch. */
  batch: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** 'auto' probes, at the first key, whether the target accepts the source's DUMP payloads. */
  mode: CopyMode;
  /** How many failures are listed (all are counted). @default 100 */
  maxFailuresListed?: number | undefined;
  /** Copy only keys it accepts (sync: the buckets whose primary is the side it reads); undefined: every key. */
  keyFilter?: ((key: Buffer) => boolean) | undefined;
}

/** Follows the pass page by page, in scan order (copy's checkpoint ledger). */
export interface PageTracker<Page> {
  open(node: string, cursorAfter: string): Page;
  batchStarted(page: Page): void;
  batchFinished(page: Page, counts: CopyCounts): void;
  allQueued(page: Page): void;
}

export interface CopyPassRun<Page> {
  signal?: AbortSignal | undefined;
  /** Where each node's SCAN starts (a resumed run). */
  startCursors?: Record<string, string> | undefined;
  tracker?: PageTracker<Page> | undefined;
  /** After each batch: the counts of this pass so far, and the mode in use. */
  onBatch?: ((counts: CopyCounts, mode: CopyMode) => void) | undefined;
}

export interface CopyPassReport extends CopyCounts {
  mode: 'struct' | 'dump';
  failures: KeyFailure[];
  /** Hashes whose field expiries the --field-ttl policy gave up (listed as many as failures). */
  fieldTtlsGivenUp: KeyFieldTtls[];
  /** True when the signal stopped the pass early. */
  interrupted: boolean;
  /** Commands the pass sent to the source, as Upstash bills them. */
  sourceCommands: number;
  durationMs: number;
}

/**
 * Runs the pass. An error that makes going on pointless (OOM, quota, auth, a failed scan) is thrown once the
 * batches in flight have finished, so the caller's state (a checkpoint) is current when it sees it.
 */
export async function copyPass<Page>(
  context: BatchContext,
  options: CopyPassOptions,
  run: CopyPassRun<Page> = {},
): Promise<CopyPassReport> {
  const { source, target } = context;
  const started = Date.now();
  const commandsBefore = source.stats.commands;
  let mode = options.mode;
  const counts = emptyCounts();
  const failures: KeyFailure[] = [];
  const fieldTtlsGivenUp: KeyFieldTtls[] = [];
  const listed = options.maxFailuresListed ?? defaultFailuresListed;
  let fatal: MigrateError | undefined;
  const internalStop = new AbortController();
  const stopped = () => internalStop.signal.aborted || run.signal?.aborted === true;
  const limit = pLimit(options.concurrency);
  const inFlight = new Set<Promise<void>>();

  const queue = async (copier: BatchCopier, page: ScanPage, entry: Page | undefined, keys: Buffer[]) => {
    while (inFlight.size >= options.concurrency * 2) await Promise.race(inFlight);
    if (entry !== undefined) run.tracker?.batchStarted(entry);
    const task: Promise<void> = limit(() =>
      copyBatch(context, copier, page.node, keys, stopped, internalStop),
    )
      .then((tally) => {
        if (entry !== undefined) run.tracker?.batchFinished(entry, tally.counts);
        addCounts(counts, tally.counts);
        failures.push(...tally.failures.slice(0, listed - failures.length));
        fieldTtlsGivenUp.push(...tally.fieldTtlsGivenUp.slice(0, listed - fieldTtlsGivenUp.length));
        run.onBatch?.(counts, mode);
      })
      .catch((error: unknown) => {
        fatal ??=
          error instanceof MigrateError
            ? error
            : new MigrateError(messageOf(error), { code: ExitCode.incomplete, cause: error });
        internalStop.abort();
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const scanType = context.typeFilter.includes(',') ? undefined : context.typeFilter || undefined;
  try {
    for await (const page of scanPages(source, {
      match: options.match,
      type: scanType,
      count: Math.max(options.batch, 1000),
      startCursors: run.startCursors,
      signal: internalStop.signal,
    })) {
      if (stopped()) break;
      if (mode === 'auto' && page.keys.length > 0) {
        mode = (await targetAcceptsDumps(source, target, page.keys[0]!)) ? 'dump' : 'struct';
      }
      const copier = mode === 'dump' ? copyDumpBatch : copyStructBatch;
      const entry = run.tracker?.open(page.node, page.cursorAfter);
      const keys = options.keyFilter ? page.keys.filter(options.keyFilter) : page.keys;
      for (let i = 0; i < keys.length; i += options.batch)
        await queue(copier, page, entry, keys.slice(i, i + options.batch));
      if (entry !== undefined) run.tracker?.allQueued(entry);
      if (stopped()) break;
    }
  } catch (error) {
    // The scan itself failed: finish what is in flight, and report.
    fatal ??=
      fatalReplyError(error as Error, 'source') ??
      new MigrateError(`source scan failed: ${messageOf(error)}`, {
        code: ExitCode.connect,
        hint: 'check the source connection, then rerun with --resume',
        cause: error,
      });
  }
  await Promise.allSettled(inFlight);
  if (fatal) throw fatal;
  return {
    mode: mode === 'dump' ? 'dump' : 'struct',
    ...counts,
    failures,
    fieldTtlsGivenUp,
    interrupted: stopped(),
    sourceCommands: source.stats.commands - commandsBefore,
    durationMs: Date.now() - started,
  };
}

/** Copies one batch, again on transient trouble (it is idempotent); what still fails is tallied as failed. */
async function copyBatch(
  context: BatchContext,
  copier: BatchCopier,
  node: string,
  keys: Buffer[],
  stopped: () => boolean,
  internalStop: AbortController,
): Promise<Tally> {
  try {
    return await retryBatch(
      async () => {
        const tally = new Tally();
        await copier(context, node, keys, tally);
        return tally;
      },
      stopped,
      internalStop.signal,
    );
  } catch (error) {
    if (error instanceof MigrateError) throw error;
    const failed = new Tally();
    failed.counts.scanned = keys.length;
    for (const key of keys) failed.add(key, { kind: 'failed', reason: `batch failed: ${messageOf(error)}` });
    return failed;
  }
}
