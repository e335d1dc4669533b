import { usageError } from '../errors.js';
import { estimateCostUsd } from '../keys/cost.js';
import { scriptsRefused } from '../keys/fallback-read.js';
import { scanPages } from '../keys/scanner.js';
import type { RedisPort } from '../redis/port.js';
import { asArray, asNumber } from '../redis/port.js';
import { rateLimited } from '../redis/rate-limit.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { surveyBatchScript } from '../redis/scripts.js';
import { inlineLimit, operatorTypeName, redisType, serverTypeName } from '../redis/types/index.js';
import type { CopyOptions } from './options.js';

export interface TypeSurvey {
  keys: number;
  bytes: number;
  /** Keys too big for one request: copied in chunks. */
  bigKeys: number;
  /** Source commands a struct copy would spend on this type's chunked reads. */
  chunkCommands: number;
}

export interface DryRunReport {
  command: 'copy';
  dryRun: true;
  scanned: number;
  bytes: number;
  byType: Record<string, TypeSurvey>;
  /** Hashes whose fields carry expiries, and how many fields: what a target without field TTLs cannot hold. */
  fieldTtlKeys: number;
  fieldTtlFields: number;
  /** What a full struct copy would send to the source: SCAN pages, one read per batch, chunk reads. */
  estimatedSourceCommands: number;
  estimatedCostUsd: number;
  /** What this dry run itself sent. */
  sourceCommands: number;
  durationMs: number;
}

/** Scans and sizes every matching key, writing nothing, to say what a copy would move and cost. */
export async function surveyKeys(
  sourcePort: RedisPort,
  options: CopyOptions,
  signal?: AbortSignal,
): Promise<DryRunReport> {
  const source = options.rate ? rateLimited(sourcePort, options.rate) : sourcePort;
  const started = Date.now();
  const commandsBefore = source.stats.commands;
  const byType: Record<string, TypeSurvey> = {};
  let scanned = 0;
  let bytes = 0;
  let scanCommands = 0;
  // The copy reads each SCAN page in batches, exactly as this survey does: one read command per batch.
  let readCommands = 0;
  let chunkCommands = 0;
  let fieldTtlKeys = 0;
  let fieldTtlFields = 0;
  const typeFilter = options.types.map(serverTypeName).join(',');
  for await (const page of scanPages(source, {
    match: options.match,
    count: Math.max(options.batch, 1000),
    signal,
  })) {
    scanCommands++;
    for (let i = 0; i < page.keys.length; i += options.batch) {
      const keys = page.keys.slice(i, i + options.batch);
      readCommands++;
      const [reply] = await execScripts(
        source,
        [scriptCommand(surveyBatchScript, undefined, [typeFilter, ...keys])],
        [surveyBatchScript],
        page.node,
      );
      if (reply instanceof Error) {
        if (!scriptsRefused(reply)) throw reply;
        throw usageError(
          `source refuses Lua scripts (${reply.message}): --dry-run sizes keys with one script per batch`,
          'run the copy itself: it reads command by command from a source without scripts',
        );
      }
      const flat = asArray(reply);
      keys.forEach((_key, k) => {
        const type = String(flat[k * 4]);
        if (type === 'none' || type === 'filtered') return;
        const size = asNumber(flat[k * 4 + 1]);
        const keyBytes = asNumber(flat[k * 4 + 2]);
        const fieldTtls = asNumber(flat[k * 4 + 3]);
        if (fieldTtls > 0) {
          fieldTtlKeys++;
          fieldTtlFields += fieldTtls;
        }
        const name = operatorTypeName(type);
        byType[name] ??= { keys: 0, bytes: 0, bigKeys: 0, chunkCommands: 0 };
        const survey = byType[name];
        survey.keys++;
        survey.bytes += keyBytes;
        const redis = redisType(type);
        if (redis && size > inlineLimit(redis, options)) {
          const reads = redis.chunkReads(size, options.chunkSize);
          survey.bigKeys++;
          survey.chunkCommands += reads;
          chunkCommands += reads;
        }
        scanned++;
        bytes += keyBytes;
      });
    }
  }
  // Preflight: INFO (same-server check), DBSIZE per node, and in auto mode one DUMP to probe the target.
  const preflight = 1 + source.nodes().length + (options.mode === 'auto' ? 1 : 0);
  const estimatedSourceCommands = preflight + scanCommands + readCommands + chunkCommands;
  return {
    command: 'copy',
    dryRun: true,
    scanned,
    bytes,
    byType,
    fieldTtlKeys,
    fieldTtlFields,
    estimatedSourceCommands,
    estimatedCostUsd: estimateCostUsd(estimatedSourceCommands),
    sourceCommands: source.stats.commands - commandsBefore,
    durationMs: Date.now() - started,
  };
}
