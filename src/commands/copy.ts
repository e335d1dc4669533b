import type { Command } from 'commander';
import { copyKeys } from '../copy/copy-keys.js';
import { surveyKeys } from '../copy/dry-run.js';
import {
  type CopyMode,
  type CopyOptions,
  defaultCopyOptions,
  type FieldTtlPolicy,
  maxChunkSize,
  type OnConflict,
} from '../copy/options.js';
import { sourceRate } from '../redis/rate-limit.js';
import { type TypeName, typeNames } from '../redis/types/index.js';
import { renderCopySummary, renderDryRun } from '../ui/copy-summary.js';
import { createProgress } from '../ui/progress.js';
import { defineCommand } from './define-command.js';
import { type EndpointFlags, openBoth, rateOption } from './endpoints.js';
import type { Outcome } from './exit.js';
import { listOf, oneOf, wholeNumber } from './parse.js';
import { action, type GlobalFlags, printResult } from './run.js';

export interface CopyFlags extends EndpointFlags, GlobalFlags {
  match: string;
  type?: TypeName[];
  batch: number;
  concurrency: number;
  mode: CopyMode;
  chunkSize: number;
  onConflict: OnConflict;
  rate?: number;
  dryRun?: boolean;
  resume?: boolean;
  checkpoint: string;
  fieldTtl: FieldTtlPolicy;
}

export function copyCommand(program: Command): void {
  const d = defaultCopyOptions;
  defineCommand(program, {
    name: 'copy',
    description: 'one-shot bulk copy of every key, with types and TTLs',
    examples: [
      {
        why: 'what would it move, and what would it cost on Upstash?',
        run: 'migrate copy --source "$UPSTASH" --target "$ELASTICACHE" --dry-run',
      },
      {
        why: 'hashes and strings under user: only (URLs from MIGRATE_SOURCE_URL and MIGRATE_TARGET_URL)',
        run: "migrate copy --match 'user:*' --type hash,string",
      },
      {
        why: 'after Ctrl-C or a crash: continue from the checkpoint',
        run: 'migrate copy --source "$UPSTASH" --target "$ELASTICACHE" --resume',
      },
    ],
  })
    .option('--match <glob>', 'copy only keys matching this SCAN pattern', d.match)
    .option(
      '--type <types>',
      `copy only these types (comma list of ${typeNames.join(', ')})`,
      listOf('--type', typeNames),
    )
    .option('--batch <n>', 'keys per read batch', wholeNumber('--batch', 1, 10_000), d.batch)
    .option('--concurrency <n>', 'batches in flight', wholeNumber('--concurrency', 1, 256), d.concurrency)
    .option(
      '--mode <mode>',
      'struct (type-aware), dump (DUMP/RESTORE) or auto',
      oneOf('--mode', ['auto', 'struct', 'dump'] as const),
      d.mode,
    )
    .option(
      '--chunk-size <n>',
      'elements per chunk for big keys',
      wholeNumber('--chunk-size', 1, maxChunkSize),
      d.chunkSize,
    )
    .option(
      '--on-conflict <policy>',
      'a target that holds keys: refuse (stop before writing), or copy onto it and replace, skip or fail per key',
      oneOf('--on-conflict', ['refuse', 'replace', 'skip', 'fail'] as const),
      d.onConflict,
    )
    .option(
      '--field-ttl <policy>',
      'hash-field expiries a target cannot hold: keep (refuse the copy), drop (copy the fields without them) or skip-fields (leave those fields out)',
      oneOf('--field-ttl', ['keep', 'drop', 'skip-fields'] as const),
      d.fieldTtl,
    )
    .addOption(rateOption())
    .option('--dry-run', 'scan and report counts, bytes and estimated source commands; write nothing')
    .option('--resume', 'continue from the checkpoint')
    .option('--checkpoint <file>', 'checkpoint file', d.checkpointFile)
    .action(action(runCopy));
}

/** The copy's options from its flags (the rate's Upstash default waits for the source: see runCopy). */
export function copyOptions(flags: CopyFlags): CopyOptions {
  return {
    ...defaultCopyOptions,
    match: flags.match,
    types: flags.type ?? [],
    batch: flags.batch,
    concurrency: flags.concurrency,
    mode: flags.mode,
    chunkSize: flags.chunkSize,
    onConflict: flags.onConflict,
    rate: flags.rate,
    dryRun: flags.dryRun === true,
    resume: flags.resume === true,
    checkpointFile: flags.checkpoint,
    fieldTtl: flags.fieldTtl,
  };
}

async function runCopy(flags: CopyFlags, signal: AbortSignal): Promise<Outcome> {
  const options = copyOptions(flags);
  const ends = await openBoth(flags);
  try {
    options.rate = sourceRate(ends.source, options.rate);
    const source = ends.source;
    if (options.dryRun) {
      const report = await surveyKeys(source, options, signal);
      printResult(flags, report, renderDryRun);
      return signal.aborted ? 'interrupted' : 'done';
    }
    const progress = createProgress({ quiet: flags.quiet === true || flags.json === true });
    let report: Awaited<ReturnType<typeof copyKeys>>;
    try {
      report = await copyKeys(source, ends.target, options, {
        signal,
        onProgress: (p) =>
          progress.update({
            label: 'copy',
            done: p.counts.scanned,
            total: p.totalKeys,
            bytes: p.counts.bytes,
            failed: p.counts.failed,
          }),
      });
    } finally {
      progress.stop();
    }
    printResult(flags, report, renderCopySummary);
    if (report.interrupted) return 'interrupted';
    return report.failed > 0 ? 'incomplete' : 'done';
  } finally {
    await ends.close();
  }
}
