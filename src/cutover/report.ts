/** What a cutover or rollback did, as data: the checklist, the JSON document and the tests read this. */
import type { StageRecord } from '../control/stage-record.js';
import type { Placement } from '../control/stages.js';
import type { CatchUpReport } from './complete-catch-up.js';
import type { Gate } from './gate.js';
import type { StepKind } from './plan.js';
import type { MoveReport } from './primary-move.js';
import type { WindowReport } from './window-report.js';

export type StepOutcome = 'switched' | 'not-ready' | 'dry-run' | 'aborted';

export interface StepError {
  message: string;
  hint?: string | undefined;
  /** The exit code the failure maps to. */
  code: number;
}

export interface StepReport {
  kind: StepKind;
  from: Placement;
  to: Placement;
  movesPrimary: boolean;
  movesReads: boolean;
  gates: Gate[];
  /** Some gate failed and --force went on anyway. */
  forced: boolean;
  outcome: StepOutcome;
  /** Epochs this step wrote, in order. */
  epochs: number[];
  /** The fenced switch of the primary, when the step moved one. */
  move?: MoveReport | undefined;
  window?: WindowReport | undefined;
  /** A rollback out of `complete`: the source's catch-up from the target (two passes). */
  catchUp?: CatchUpReport | undefined;
  error?: StepError | undefined;
  /** Time spent evaluating (and, with --wait, re-evaluating) the gates. */
  gatesMs: number;
  durationMs: number;
}

export interface SwitchReport {
  command: 'cutover' | 'rollback';
  ok: boolean;
  outcome: StepOutcome | 'nothing-to-do';
  dryRun: boolean;
  old: StageRecord;
  new: StageRecord;
  steps: StepReport[];
  /** The gates of the last step evaluated. */
  gates: Gate[];
  notes: string[];
  /** After a window: where the application must now point (redacted). */
  pointApplicationAt?: string | undefined;
  durationMs: number;
}
