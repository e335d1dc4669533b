import pLimit from 'p-limit';
import { ExitCode, MigrateError, messageOf, usageError } from '../errors.js';
import { dbsize } from '../redis/keyspace.js';
import type { RedisPort } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { serverTypeName } from '../redis/types/index.js';
import { retryBatch } from '../retry.js';
import type { BatchContext, BatchCopier } from './batch-context.js';
import { type Checkpoint, copyFingerprint, Ledger, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { copyDumpBatch } from './dump-batch.js';
import type { CopyOptions } from './options.js';
import { fatalReplyError } from './outcome.js';
import { holdsUserKeys, refuseSameServer, removeLeftoverTempKeys, targetAcceptsDumps } from './preflight.js';
import {
  addCounts,
  type CopyCounts,
  type CopyReport,
  emptyCounts,
  estimateCostUsd,
  type KeyFailure,
  Tally,
} from './report.js';
import { scanPages } from './scanner.js';
import { copyStructBatch } from './struct-batch.js';

export interface CopyProgress {
  counts: CopyCounts;
  /** Keys the source holds (DBSIZE), for an ETA; the copy may match fewer. */
  totalKeys: number;
  sourceCommands: number;
  mode: 'struct' | 'dump' | 'auto';
}

export interface CopyRun {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: CopyProgress) => void) | undefined;
}

const checkpointEveryMs = 1000;

/**
 * Copies every matching key from source to target (DESIGN.md invariants 1–8): SCAN pages feed a bounded number of
 * batches in flight; each batch is copied idempotently; progress is checkpointed durably. Prints nothing.
 */
export async function copyKeys(
  sourcePort: RedisPort,
  target: RedisPort,
  options: CopyOptions,
  run: CopyRun = {},
): Promise<CopyReport> {
  const source = options.rate ? rateLimited(sourcePort, options.rate) : sourcePort;
  const started = Date.now();
  const fingerprint = copyFingerprint(source.label, target.label, options);
  const resumed = options.resume ? loadCheckpoint(options.checkpointFile, fingerprint) : undefined;
  // Preflight reads (INFO, DBSIZE) are billed too: count from here.
  const commandsBefore = source.stats.commands - (resumed?.sourceCommands ?? 0);
  await refuseSameServer(source, target);
  // --resume without a checkpoint starts over: the target may hold what a run killed before its first save wrote.
  if (!options.resume && options.onConflict === undefined && (await holdsUserKeys(target))) {
    throw usageError(
      `target ${target.label} already holds keys`,
      'pass --on-conflict replace|skip|fail to copy onto it, --resume to continue an interrupted copy, or empty the target',
    );
  }
  await removeLeftoverTempKeys(target);
  const totalKeys = await dbsize(source);

  let mode: 'struct' | 'dump' | 'auto' = resumed?.mode ?? options.mode;
  const ledger = new Ledger(resumed);
  const live = emptyCounts();
  const failures: KeyFailure[] = [];
  let fatalError: MigrateError | undefined;
  const internalStop = new AbortController();
  const stopped = () => internalStop.signal.aborted || run.signal?.aborted === true;

  const context: BatchContext = {
    source,
    target,
    options,
    typeFilter: options.types.map(serverTypeName).join(','),
    stopIfFatal(error, role) {
      const fatal = fatalReplyError(error, role);
      if (fatal) throw fatal;
    },
  };
  const checkpoint = (complete: boolean): Checkpoint => ({
    version: 1,
    fingerprint,
    source: source.label,
    target: target.label,
    mode: mode === 'dump' ? 'dump' : 'struct',
    cursors: ledger.cursors,
    counts: ledger.committed,
    sourceCommands: source.stats.commands - commandsBefore,
    complete,
    updatedAt: '',
  });
  let lastSaved = 0;
  const persist = (complete = false) => {
    if (options.dryRun) return;
    saveCheckpoint(options.checkpointFile, checkpoint(complete));
    lastSaved = Date.now();
  };
  const progress = () =>
    run.onProgress?.({
      counts: totals(resumed, live),
      totalKeys,
      sourceCommands: source.stats.commands - commandsBefore,
      mode,
    });

  const copyBatch = async (copier: BatchCopier, node: string, keys: Buffer[]): Promise<Tally> => {
    try {
      // The batch is idempotent: transient trouble (connection reset, timeout, failover) copies it again.
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
      for (const key of keys)
        failed.add(key, { kind: 'failed', reason: `batch failed: ${messageOf(error)}` });
      return failed;
    }
  };

  const limit = pLimit(options.concurrency);
  const inFlight = new Set<Promise<void>>();
  const singleType = options.types.length === 1 ? serverTypeName(options.types[0]!) : undefined;
  if (!resumed?.complete) {
    persist();
    try {
      for await (const page of scanPages(source, {
        match: options.match,
        type: singleType,
        count: Math.max(options.batch, 1000),
        startCursors: resumed?.cursors,
        signal: internalStop.signal,
      })) {
        if (stopped()) break;
        if (mode === 'auto' && page.keys.length > 0) {
          mode = (await targetAcceptsDumps(source, target, page.keys[0]!)) ? 'dump' : 'struct';
        }
        const copier = mode === 'dump' ? copyDumpBatch : copyStructBatch;
        const entry = ledger.open(page.node, page.cursorAfter);
        const wanted = options.keyFilter ? page.keys.filter(options.keyFilter) : page.keys;
        for (let i = 0; i < wanted.length; i += options.batch) {
          while (inFlight.size >= options.concurrency * 2) await Promise.race(inFlight);
          const keys = wanted.slice(i, i + options.batch);
          ledger.batchStarted(entry);
          const task: Promise<void> = limit(() => copyBatch(copier, page.node, keys))
            .then((tally) => {
              ledger.batchFinished(entry, tally.counts);
              addCounts(live, tally.counts);
              for (const failure of tally.failures)
                if (failures.length < options.maxFailuresListed) failures.push(failure);
              progress();
              if (Date.now() - lastSaved > checkpointEveryMs) persist();
            })
            .catch((error: unknown) => {
              fatalError ??=
                error instanceof MigrateError
                  ? error
                  : new MigrateError(messageOf(error), { code: ExitCode.incomplete, cause: error });
              internalStop.abort();
            })
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
        ledger.allQueued(entry);
        if (stopped()) break;
      }
    } catch (error) {
      // The scan itself failed: finish what is in flight, save, and report.
      fatalError ??=
        fatalReplyError(error as Error, 'source') ??
        new MigrateError(`source scan failed: ${messageOf(error)}`, {
          code: ExitCode.connect,
          hint: 'check the source connection, then rerun with --resume',
          cause: error,
        });
    }
    await Promise.allSettled(inFlight);
  }
  const interrupted = stopped() || fatalError !== undefined;
  persist(!interrupted);
  if (fatalError) throw fatalError;

  const counts = totals(resumed, live);
  const durationMs = Date.now() - started;
  const sourceCommands = source.stats.commands - commandsBefore;
  return {
    command: 'copy',
    mode: mode === 'dump' ? 'dump' : 'struct',
    ...counts,
    sourceCommands,
    estimatedCostUsd: estimateCostUsd(sourceCommands),
    durationMs,
    keysPerSec: Math.round((live.scanned / Math.max(durationMs, 1)) * 1000),
    failures,
    interrupted,
    resumed: resumed !== undefined,
    checkpoint: options.checkpointFile,
  };
}

function totals(resumed: Checkpoint | undefined, live: CopyCounts): CopyCounts {
  const counts = resumed ? { ...resumed.counts } : emptyCounts();
  addCounts(counts, live);
  return counts;
}
