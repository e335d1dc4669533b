/** Reading and writing the stage record for a switch, through the control module (never around it). */
import { hostname } from 'node:os';
import {
  readStageHistory,
  readStageRecord,
  requireRecord,
  type StageChange,
  type StageRecord,
  writeSide,
  writeStageRecord,
} from '../control/stage-record.js';
import type { Placement } from '../control/stages.js';
import type { SwitchContext } from './context.js';

export interface CurrentRecord {
  record: StageRecord;
  /** For a fenced record: the placement before the fence (clients route by it until the fence lifts). */
  before: Placement | undefined;
  /** The side that held an older epoch (a switch killed between its two writes) and was brought level. */
  repaired: 'source' | 'target' | undefined;
}

/** The record with the higher epoch; a side left behind by a killed switch is written level first. */
export async function readCurrent(context: SwitchContext, repair: boolean): Promise<CurrentRecord> {
  const reading = await readStageRecord({ source: context.source, target: context.target });
  const record = requireRecord(reading);
  let repaired: CurrentRecord['repaired'];
  if (!reading.agree && repair && record.epoch > 0) {
    const lagging = reading.record === reading.target ? 'source' : 'target';
    const side = reading[lagging];
    if (side !== undefined && !(side instanceof Error)) {
      await writeSide(lagging === 'source' ? context.source : context.target, record);
      repaired = lagging;
    }
  }
  let before: Placement | undefined;
  if (record.fenced) {
    const [last] = await readStageHistory(context.target, 1).catch(() => []);
    const entry = last?.epoch === record.epoch ? last : (await readStageHistory(context.source, 1))[0];
    if (entry?.epoch === record.epoch) before = { stage: entry.from.stage, percent: entry.from.percent };
  }
  return { record, before, repaired };
}

/** Writes `next` on both servers (target, then source), with its history entry and the PUBLISH. */
export async function writeNext(context: SwitchContext, next: StageRecord, from: StageRecord): Promise<void> {
  await writeStageRecord({ source: context.source, target: context.target }, next, changeOf(next, from));
}

export const changeOf = (next: StageRecord, from: StageRecord): StageChange => ({
  ...next,
  from: { stage: from.stage, epoch: from.epoch, percent: from.percent, fenced: from.fenced },
  host: hostname(),
  pid: process.pid,
});

export const recordAt = (
  placement: Placement,
  epoch: number,
  fenced: boolean,
  reason: string,
): StageRecord => ({
  stage: placement.stage,
  percent: placement.percent,
  epoch,
  fenced,
  changedAt: Date.now(),
  reason,
});
