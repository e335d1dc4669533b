import { usageError } from '../errors.js';
import type { BatchContext } from '../keys/batch-context.js';
import { type CopyPassReport, copyPass } from '../keys/copy-pass.js';
import { estimateCostUsd } from '../keys/cost.js';
import type { CopyMode } from '../keys/options.js';
import { throwIfFatal } from '../keys/outcome.js';
import { holdsUserKeys, refuseSameServer, removeLeftoverTempKeys } from '../keys/preflight.js';
import { addCounts, type CopyCounts, emptyCounts } from '../keys/tally.js';
import { probeKeyRules } from '../redis/key-rules.js';
import { dbsize } from '../redis/keyspace.js';
import type { RedisPort } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { serverTypeName } from '../redis/types/index.js';
import { type Checkpoint, copyFingerprint, Ledger, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { refuseLostFieldTtls } from './field-ttl-check.js';
import { type CopyOptions, writePolicy } from './options.js';
import type { CopyReport } from './report.js';

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
 * Copies every matching key from source to target (docs/invariants.md #1–8): one pass of the kit over the
 * source (src/keys/copy-pass.ts), preceded by the preflight checks and checkpointed durably. Prints nothing.
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
  // Once, before any script call: how the target takes a call's keys (ElastiCache Serverless wants them declared).
  await probeKeyRules(target);
  // --resume without a checkpoint starts over: the target may hold what a run killed before its first save wrote.
  if (!options.resume && options.onConflict === 'refuse' && (await holdsUserKeys(target))) {
    throw usageError(
      `target ${target.label} already holds keys`,
      'pass --on-conflict replace|skip|fail to copy onto it, --resume to continue an interrupted copy, or empty the target',
    );
  }
  // Before the first write, and once: a resumed run passed it (or was told what to give up) when it started.
  if (!resumed) await refuseLostFieldTtls(source, target, options);
  await removeLeftoverTempKeys(target);
  const totalKeys = await dbsize(source);

  let mode: CopyMode = resumed?.mode ?? options.mode;
  const ledger = new Ledger(resumed);
  const sourceCommands = () => source.stats.commands - commandsBefore;
  const checkpoint = (complete: boolean): Checkpoint => ({
    version: 1,
    fingerprint,
    source: source.label,
    target: target.label,
    mode: mode === 'dump' ? 'dump' : 'struct',
    cursors: ledger.cursors,
    counts: ledger.committed,
    sourceCommands: sourceCommands(),
    complete,
    updatedAt: '',
  });
  let lastSaved = 0;
  const persist = (complete = false) => {
    if (options.dryRun) return;
    saveCheckpoint(options.checkpointFile, checkpoint(complete));
    lastSaved = Date.now();
  };

  let pass: CopyPassReport | undefined;
  let interrupted = false;
  if (!resumed?.complete) {
    persist();
    let complete = false;
    try {
      pass = await copyPass(
        kitContext(source, target, options),
        { ...options, mode },
        {
          signal: run.signal,
          startCursors: resumed?.cursors,
          tracker: ledger,
          onBatch(counts, current) {
            mode = current;
            run.onProgress?.({
              counts: totals(resumed, counts),
              totalKeys,
              sourceCommands: sourceCommands(),
              mode,
            });
            if (Date.now() - lastSaved > checkpointEveryMs) persist();
          },
        },
      );
      mode = pass.mode;
      interrupted = pass.interrupted;
      complete = !interrupted;
    } finally {
      // Also when the pass stopped at a fatal error: the checkpoint resumes it.
      persist(complete);
    }
  }

  const counts = totals(resumed, pass ?? emptyCounts());
  const durationMs = Date.now() - started;
  return {
    command: 'copy',
    mode: mode === 'dump' ? 'dump' : 'struct',
    ...counts,
    sourceCommands: sourceCommands(),
    estimatedCostUsd: estimateCostUsd(sourceCommands()),
    durationMs,
    keysPerSec: Math.round(((pass?.scanned ?? 0) / Math.max(durationMs, 1)) * 1000),
    failures: pass?.failures ?? [],
    fieldTtlsGivenUp: pass?.fieldTtlsGivenUp ?? [],
    interrupted,
    resumed: resumed !== undefined,
    checkpoint: options.checkpointFile,
  };
}

/** The kit's view of a copy: past the empty-target check, a key the target holds is replaced unless told otherwise. */
function kitContext(source: RedisPort, target: RedisPort, options: CopyOptions): BatchContext {
  return {
    source,
    target,
    options: {
      chunkSize: options.chunkSize,
      maxInlineBytes: options.maxInlineBytes,
      onConflict: writePolicy(options.onConflict),
      fieldTtl: options.fieldTtl,
    },
    typeFilter: options.types.map(serverTypeName).join(','),
    stopIfFatal: throwIfFatal,
  };
}

/** The counts of a resumed run's earlier part, plus this run's. */
function totals(resumed: Checkpoint | undefined, live: CopyCounts): CopyCounts {
  const counts = resumed ? { ...resumed.counts } : emptyCounts();
  addCounts(counts, live);
  return counts;
}
