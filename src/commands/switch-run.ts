/** What `migrate cutover` and `migrate rollback` share: options from flags, the run, the summary, the exit code. */
import type { Command } from 'commander';
import type { Stage } from '../control/stages.js';
import { stages } from '../control/stages.js';
import {
  checkRequest,
  defaultSwitchOptions,
  runSwitch,
  type SwitchOptions,
  type SwitchReport,
  type SwitchRequest,
  type VerifyChoice,
} from '../cutover/index.js';
import { ExitCode, usageError } from '../errors.js';
import { renderSwitchSummary } from '../ui/switch-summary.js';
import type { EndpointFlags } from './endpoints.js';
import { openBoth } from './endpoints.js';
import { type Outcome, outcomeOf } from './exit.js';
import { oneOf, wholeNumber } from './parse.js';
import { type GlobalFlags, printResult } from './run.js';

export interface SwitchFlags extends EndpointFlags, GlobalFlags {
  to?: Stage;
  percent?: number;
  window?: boolean;
  fence?: boolean;
  fenceHold?: number;
  maxLag?: number;
  verify?: VerifyChoice;
  wait?: number;
  quietFor?: number;
  reason?: string;
  dryRun?: boolean;
  force?: boolean;
}

export const parseStage = oneOf('--to', stages);
export const parsePercent = wholeNumber('--percent', 1, 100);
export const parseSeconds = wholeNumber('--wait', 0, 86_400);
export const parseVerify = oneOf('--verify', ['sample', 'full', 'none'] as const);
export const parseFenceHold = wholeNumber('--fence-hold', 0, 3600);
export const parseQuietFor = wholeNumber('--quiet-for', 0, 3_600_000);

/** The flags cutover and rollback share, declared once (each command adds its own before these). */
export function addSharedSwitchFlags(command: Command, writesLeave: 'source' | 'target'): Command {
  return command
    .option(
      '--fence',
      `with --window: pause the ${writesLeave}’s writes with CLIENT PAUSE instead of waiting for quiet`,
    )
    .option(
      '--fence-hold <seconds>',
      'with --fence: after the switch, keep the writes paused until the application has left (default 30)',
      parseFenceHold,
    )
    .option(
      '--quiet-for <ms>',
      'with --window: no change for this long counts as writes stopped (default 3000)',
      parseQuietFor,
    )
    .option(
      '--wait <seconds>',
      'keep re-checking failed gates this long before giving up (exit 4)',
      parseSeconds,
    )
    .option('--reason <text>', 'why: saved with the stage record and its history')
    .option('--dry-run', 'print the plan and the gates; change nothing');
}

export function switchOptions(flags: SwitchFlags): SwitchOptions {
  const d = defaultSwitchOptions;
  return {
    ...d,
    maxLagMs: flags.maxLag ?? d.maxLagMs,
    verify: flags.verify ?? d.verify,
    waitMs: (flags.wait ?? 0) * 1000,
    quietForMs: flags.quietFor ?? d.quietForMs,
    fenceHoldMs: flags.fenceHold === undefined ? d.fenceHoldMs : flags.fenceHold * 1000,
    dryRun: flags.dryRun === true,
    force: flags.force === true,
  };
}

export function switchRequest(flags: SwitchFlags, direction: SwitchRequest['direction']): SwitchRequest {
  const request: SwitchRequest = {
    direction,
    to: flags.to,
    percent: flags.percent,
    window: flags.window === true,
    fence: flags.fence === true,
    reason: flags.reason ?? '',
  };
  checkRequest(request);
  if (flags.fenceHold !== undefined && !request.fence)
    throw usageError('--fence-hold needs --fence', 'the hold keeps a fenced switch’s pause after the switch');
  return request;
}

/** How a finished switch ended: done (or a dry run), not ready (exit 4), else the failure's own exit code. */
export function switchOutcome(report: SwitchReport): Outcome {
  if (report.ok) return 'done';
  if (report.outcome === 'not-ready') return 'not-ready';
  return outcomeOf((report.steps.at(-1)?.error?.code ?? ExitCode.incomplete) as ExitCode);
}

export async function runSwitchCommand(
  flags: SwitchFlags,
  direction: SwitchRequest['direction'],
  signal: AbortSignal,
): Promise<Outcome> {
  // Bad flags are refused before anything is opened.
  const request = switchRequest(flags, direction);
  const options = switchOptions(flags);
  const ends = await openBoth(flags);
  try {
    const report = await runSwitch(ends.source, ends.target, request, options, {
      signal,
      onEvent: (event) => {
        if (!flags.quiet) process.stderr.write(`${direction}: ${event.message}\n`);
      },
    });
    printResult(flags, report, renderSwitchSummary);
    const failed = report.steps.at(-1)?.error;
    if (failed && !report.ok) {
      // The summary holds it too; stderr gets the one line an operator (or a script using --json) looks for.
      process.stderr.write(`migrate: ${failed.message}\n${failed.hint ? `  → ${failed.hint}\n` : ''}`);
    }
    return signal.aborted && !report.ok ? 'interrupted' : switchOutcome(report);
  } finally {
    await ends.close();
  }
}
