/**
 * `migrate cutover` and `migrate rollback` as an engine: reads the record, plans each step, checks its gates and
 * writes its epochs under the switch lock. Prints nothing; returns the report (progress goes to `onEvent`).
 */
import { readStageRecord } from '../control/stage-record.js';
import { IoredisPort } from '../redis/ioredis-port.js';
import type { RedisPort } from '../redis/port.js';
import { sendReadOnlyScripts } from '../redis/script-runner.js';
import type { SwitchContext, SwitchEvent } from './context.js';
import type { SwitchOptions } from './options.js';
import { planStep, rollbackGoal } from './plan.js';
import { readCurrent } from './record.js';
import type { StepReport, SwitchReport } from './report.js';
import { checkRequest, type SwitchRequest } from './request.js';
import { runStep } from './run-step.js';
import { SwitchLock } from './switch-lock.js';

export interface SwitchRun {
  /** Aborting stops waits; a fenced switch in progress is undone before the run returns. */
  signal?: AbortSignal | undefined;
  onEvent?: ((event: SwitchEvent) => void) | undefined;
}

export async function runSwitch(
  source: RedisPort,
  target: RedisPort,
  request: SwitchRequest,
  options: SwitchOptions,
  run: SwitchRun = {},
): Promise<SwitchReport> {
  checkRequest(request);
  const started = Date.now();
  // Reads of a paused server (a window's drain and final verify) must not wait for the pause.
  for (const port of [source, target]) if (port instanceof IoredisPort) sendReadOnlyScripts(port);
  const context: SwitchContext = {
    source,
    target,
    options,
    request,
    signal: run.signal,
    onEvent: run.onEvent,
  };
  const first = await readCurrent(context, false);
  const goal =
    request.direction === 'rollback' && !first.record.fenced
      ? rollbackGoal(first.record, request)
      : request.to;
  const asked: SwitchRequest = { ...request, to: goal };
  const notes: string[] = [];
  const firstPlan = planStep(first.record, first.before, asked); // refusals (exit 2) before the lock
  if (firstPlan.kind === 'done')
    return summary(request, first.record, first.record, [], [firstPlan.why], started, context);

  const lock = options.dryRun ? undefined : await SwitchLock.acquire(target, options.waitMs, run.signal);
  const steps: StepReport[] = [];
  try {
    for (;;) {
      const current = await readCurrent(context, !options.dryRun);
      if (current.repaired)
        notes.push(
          `the ${current.repaired} held an older epoch (a switch was killed between its two writes): brought level at epoch ${current.record.epoch}`,
        );
      const plan = planStep(current.record, current.before, asked);
      if (plan.kind === 'done') break;
      const step = await runStep(context, plan, current.record, lock, steps.length > 0);
      steps.push(step);
      const more = request.direction === 'rollback' && plan.kind === 'step';
      if (step.outcome !== 'switched' || !more || run.signal?.aborted) break;
    }
  } finally {
    await lock?.release();
  }
  const after = (await readStageRecord({ source, target })).record;
  return summary(request, first.record, after, steps, notes, started, context);
}

function summary(
  request: SwitchRequest,
  old: SwitchReport['old'],
  now: SwitchReport['new'],
  steps: StepReport[],
  notes: string[],
  started: number,
  ends: { source: RedisPort; target: RedisPort },
): SwitchReport {
  const last = steps.at(-1);
  const outcome = last?.outcome ?? 'nothing-to-do';
  const windowed = request.window && outcome === 'switched';
  return {
    command: request.direction,
    ok: outcome === 'switched' || outcome === 'dry-run' || outcome === 'nothing-to-do',
    outcome,
    dryRun: outcome === 'dry-run',
    old,
    new: now,
    steps,
    gates: last?.gates ?? [],
    notes,
    pointApplicationAt: windowed
      ? (request.direction === 'cutover' ? ends.target : ends.source).label
      : undefined,
    durationMs: Date.now() - started,
  };
}
