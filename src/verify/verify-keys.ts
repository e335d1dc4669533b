import { saveLastVerify } from '../control/last-verify.js';
import { ExitCode, MigrateError, messageOf } from '../errors.js';
import { estimateCostUsd } from '../keys/cost.js';
import { fatalReplyError } from '../keys/outcome.js';
import { refuseSameServer } from '../keys/preflight.js';
import { scanPages } from '../keys/scanner.js';
import { keyRulesOf, keyRulesRefusal, learnBySlot, probeKeyRules } from '../redis/key-rules.js';
import type { RedisPort } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { isErrReply, retryBatch } from '../retry.js';
import { type CompareOutcome, compareKeys, type Finding } from './compare-keys.js';
import { type ExtrasOutcome, findExtras } from './extras.js';
import { FindingLog } from './findings-log.js';
import { sideCounts } from './keyspace.js';
import type { VerifyOptions } from './options.js';
import type { VerifySides } from './read-both.js';
import { repairFindings } from './repair.js';
import { lastVerifyOf, type SampleInfo, type VerifyReport } from './report.js';
import { drawSample } from './sample.js';
import { TaskPool } from './task-pool.js';

export interface VerifyProgress {
  /** Keys handled so far: source keys compared, plus target keys scanned for extras in full mode. */
  done: number;
  /** Keys expected in all (DBSIZE of both sides in full mode, the sample size otherwise), for a progress bar. */
  total: number;
  differences: number;
  sourceCommands: number;
}

export interface VerifyRun {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: VerifyProgress) => void) | undefined;
  /** With repair: the keys each repair re-copied or deleted (a cutover copies them again once writes are held). */
  onRepaired?: ((keys: Buffer[]) => void) | undefined;
}

/**
 * Proves the target equals the source: every key (full) or a random sample compared by type, value
 * (server-side fingerprints) and absolute expiry, source commands capped at `options.rate` per second; in
 * full mode the target is also scanned for keys the source lacks. Keys found different are re-checked before
 * they count, and repaired when asked. Prints nothing; returns the report.
 */
export async function verifyKeys(
  sourcePort: RedisPort,
  target: RedisPort,
  options: VerifyOptions,
  run: VerifyRun = {},
): Promise<VerifyReport> {
  // Every source read goes through the cap, the repair's re-copies included, as in copyKeys and syncKeys.
  const source = options.rate ? rateLimited(sourcePort, options.rate) : sourcePort;
  const started = Date.now();
  const commandsBefore = source.stats.commands;
  // A server compared with itself always "equals": a mistyped --target must not look like a proven copy.
  await refuseSameServer(source, target);
  // Once, before any script call: how each end takes a call's keys (ElastiCache Serverless wants them declared; it
  // is the source of a verify when a rollback catches the old source up from it).
  await Promise.all([probeKeyRules(target), probeKeyRules(source)]);
  const sides: VerifySides = { source, target, options };
  const signal = run.signal;
  const [{ counts: sourceCounts, sizes: sourceSizes }, { counts: targetCounts }] = await Promise.all([
    sideCounts(source, options.mode === 'full'),
    sideCounts(target, true),
  ]);
  const log = new FindingLog(options.maxExamples);
  const tally = {
    checked: 0,
    vanished: 0,
    rechecked: 0,
    busy: 0,
    unsupported: 0,
    oneByOne: 0,
    targetScanned: 0,
  };
  let total = sourceCounts.dbsize + targetCounts.dbsize;
  const progress = () =>
    run.onProgress?.({
      done: tally.checked + tally.vanished + tally.targetScanned,
      total,
      differences:
        log.counts.missing +
        log.counts.extra +
        log.counts.typeMismatch +
        log.counts.valueMismatch +
        log.counts.ttlMismatch +
        log.counts.fieldTtlMismatch,
      sourceCommands: source.stats.commands - commandsBefore,
    });

  const settle = async (findings: Finding[]) => {
    const examples = await log.record(sides, findings);
    if (!options.repair || findings.length === 0) return log.unrepaired(findings);
    log.repairedAll(findings, await repairFindings(sides, findings, signal), examples);
    run.onRepaired?.(findings.map((finding) => finding.key));
  };
  const wanted = (keys: Buffer[]) => (options.keyFilter ? keys.filter(options.keyFilter) : keys);
  const compareTask = (node: string, keys: Buffer[]) => async () => {
    const outcome = await withRetries(() => compareKeys(sides, node, keys, signal), target, signal);
    addCompare(tally, outcome);
    await settle(outcome.findings);
    progress();
  };
  const extrasTask = (keys: Buffer[]) => async () => {
    const outcome = await withRetries(() => findExtras(sides, keys, signal), target, signal);
    addExtras(tally, outcome);
    await settle(outcome.findings);
    progress();
  };

  const pool = new TaskPool(options.concurrency);
  let sample: SampleInfo | undefined;
  if (options.mode === 'full') {
    // Both scans run at once, sharing the batches in flight: the extras scan reads only the target, plus one
    // existence check on the source per target page.
    const compareAll = async () => {
      for await (const page of scanPages(source, {
        match: options.match,
        count: options.batch * 2,
        signal,
      })) {
        const keys = wanted(page.keys);
        for (let i = 0; i < keys.length; i += options.batch) {
          await pool.add(compareTask(page.node, keys.slice(i, i + options.batch)));
        }
      }
    };
    const extrasAll = async () => {
      for await (const page of scanPages(target, {
        match: options.match,
        count: options.batch * 2,
        signal,
      })) {
        await pool.add(extrasTask(wanted(page.keys)));
      }
    };
    await Promise.all([compareAll(), extrasAll()]);
  } else {
    const drawn = await drawSample(source, options.sample, options.match, sourceSizes, signal);
    sample = drawn.info;
    total = drawn.info.distinct;
    for (const [node, drawnKeys] of drawn.byNode) {
      const keys = wanted(drawnKeys);
      for (let i = 0; i < keys.length; i += options.batch)
        await pool.add(compareTask(node, keys.slice(i, i + options.batch)));
    }
  }
  await pool.drain();

  const durationMs = Date.now() - started;
  const sourceCommands = source.stats.commands - commandsBefore;
  const interrupted = signal?.aborted === true;
  const report: VerifyReport = {
    command: 'verify',
    ok: log.remaining === 0 && !interrupted,
    mode: options.mode,
    source: sourceCounts,
    target: targetCounts,
    checked: tally.checked,
    ...log.counts,
    targetScanned: tally.targetScanned,
    vanished: tally.vanished,
    rechecked: tally.rechecked,
    busy: tally.busy,
    repaired: log.repaired,
    remaining: log.remaining,
    unsupported: tally.unsupported,
    comparedOneByOne: tally.oneByOne,
    sourceCommands,
    sourceCommandsPerKey: tally.checked > 0 ? Number((sourceCommands / tally.checked).toFixed(5)) : 0,
    estimatedCostUsd: estimateCostUsd(sourceCommands),
    examples: log.examples,
    ...(sample ? { sample } : {}),
    keysPerSec: Math.round((tally.checked / Math.max(durationMs, 1)) * 1000),
    durationMs,
    interrupted,
  };
  if (options.saveResult) await saveLastVerify(target, lastVerifyOf(report));
  return report;
}

/** What the compares of a run add up to. */
type CompareCounts = Omit<CompareOutcome, 'findings'>;

function addCompare(tally: CompareCounts, outcome: CompareOutcome) {
  tally.busy += outcome.busy;
  tally.checked += outcome.checked;
  tally.oneByOne += outcome.oneByOne;
  tally.vanished += outcome.vanished;
  tally.rechecked += outcome.rechecked;
  tally.unsupported += outcome.unsupported;
}

function addExtras(tally: { rechecked: number; targetScanned: number }, outcome: ExtrasOutcome) {
  tally.rechecked += outcome.rechecked;
  tally.targetScanned += outcome.scanned;
}

/**
 * Retries a batch on transient trouble (reading is idempotent); what remains is one operator-facing error. A
 * refusal that calls per slot avoid, from a target not known to need them, switches the target to them first.
 */
async function withRetries<T>(body: () => Promise<T>, target: RedisPort, signal?: AbortSignal): Promise<T> {
  const stopped = () => signal?.aborted === true;
  try {
    return await retryBatch(body, stopped, signal).catch((error: unknown) => {
      if (!(error instanceof Error && keyRulesRefusal(error)) || keyRulesOf(target) === 'by-slot')
        throw error;
      learnBySlot(target);
      return retryBatch(body, stopped, signal);
    });
  } catch (error) {
    if (error instanceof MigrateError) throw error;
    const fatal = error instanceof Error ? fatalReplyError(error, 'source') : undefined;
    if (fatal) throw fatal;
    if (isErrReply(error)) {
      throw new MigrateError(`verify could not read a batch: the server answered ${messageOf(error)}`, {
        code: ExitCode.usage,
        hint: 'verify digests values with Lua on both ends (EVAL/EVALSHA, the bit library, redis.sha1hex): make sure both allow them, then run verify again',
        cause: error,
      });
    }
    throw new MigrateError(`verify could not read a batch: ${messageOf(error)}`, {
      code: ExitCode.connect,
      hint: 'check both connections, then run verify again',
      cause: error,
    });
  }
}
