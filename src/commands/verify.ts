import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { sourceRate } from '../redis/rate-limit.js';
import { createProgress } from '../ui/progress.js';
import { renderVerifySummary } from '../ui/verify-summary.js';
import { defaultVerifyOptions, type VerifyOptions } from '../verify/options.js';
import type { VerifyReport } from '../verify/report.js';
import { verifyKeys } from '../verify/verify-keys.js';
import { defineCommand } from './define-command.js';
import { type EndpointFlags, openBoth, rateOption } from './endpoints.js';
import type { Outcome } from './exit.js';
import { wholeNumber } from './parse.js';
import { action, type GlobalFlags, printResult } from './run.js';

export interface VerifyFlags extends EndpointFlags, GlobalFlags {
  sample?: number;
  full?: boolean;
  match: string;
  ttlTolerance: number;
  recheck: number;
  repair?: boolean;
  maxExamples: number;
  rate?: number;
}

export function verifyCommand(program: Command): void {
  const d = defaultVerifyOptions;
  defineCommand(program, {
    name: 'verify',
    description:
      'prove the target equals the source: counts, then a sampled or full compare of type, value and TTL',
    examples: [
      {
        why: '1000 random keys compared by type, value and expiry',
        run: 'migrate verify --source "$UPSTASH" --target "$ELASTICACHE"',
      },
      {
        why: 'every key, and keys only the target holds; the report as JSON',
        run: 'migrate verify --source "$UPSTASH" --target "$ELASTICACHE" --full --json > verify.json',
      },
      {
        why: 're-copy whatever differs, then compare it again',
        run: 'migrate verify --source "$UPSTASH" --target "$ELASTICACHE" --full --repair',
      },
    ],
  })
    .option(
      '--sample <n>',
      `compare n random source keys (default ${d.sample})`,
      wholeNumber('--sample', 1, 10_000_000),
    )
    .option('--full', 'compare every source key, and look for keys only the target holds')
    .option('--match <glob>', 'compare only keys matching this SCAN pattern', d.match)
    .option(
      '--ttl-tolerance <ms>',
      'largest expiry difference still counted as equal',
      wholeNumber('--ttl-tolerance', 0),
      d.ttlToleranceMs,
    )
    .option(
      '--recheck <ms>',
      'wait before re-checking a key found different (3 times)',
      wholeNumber('--recheck', 0, 600_000),
      d.recheckMs,
    )
    .option('--repair', 're-copy every key found different (delete extra keys), then verify them again')
    .option(
      '--max-examples <n>',
      'example keys shown per problem kind',
      wholeNumber('--max-examples', 0, 10_000),
      d.maxExamples,
    )
    .addOption(rateOption())
    .action(action(runVerify));
}

export function verifyOptions(flags: VerifyFlags): VerifyOptions {
  if (flags.full && flags.sample !== undefined)
    throw usageError('--sample and --full cannot be used together', 'pick one: --full compares every key');
  return {
    ...defaultVerifyOptions,
    mode: flags.full ? 'full' : 'sample',
    sample: flags.sample ?? defaultVerifyOptions.sample,
    match: flags.match,
    ttlToleranceMs: flags.ttlTolerance,
    recheckMs: flags.recheck,
    repair: flags.repair === true,
    maxExamples: flags.maxExamples,
    rate: flags.rate, // Upstash's default waits for the source: see runVerify
  };
}

async function runVerify(flags: VerifyFlags, signal: AbortSignal): Promise<Outcome> {
  const options = verifyOptions(flags);
  const ends = await openBoth(flags);
  try {
    options.rate = sourceRate(ends.source, options.rate);
    const progress = createProgress({
      quiet: flags.quiet === true || flags.json === true || options.mode === 'sample',
    });
    let report: VerifyReport;
    try {
      report = await verifyKeys(ends.source, ends.target, options, {
        signal,
        onProgress: (p) =>
          progress.update({ label: 'verify', done: p.done, total: p.total, bytes: 0, failed: p.differences }),
      });
    } finally {
      progress.stop();
    }
    printResult(flags, report, renderVerifySummary);
    if (report.interrupted) return 'interrupted';
    return report.ok ? 'done' : 'incomplete';
  } finally {
    await ends.close();
  }
}
