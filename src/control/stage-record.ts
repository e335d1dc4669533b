/**
 * The stage record: a hash `__migrate:stage` on both servers. Readers take the record with the higher epoch; a
 * writer writes the target, then the source, then publishes the epoch and appends to the history. A write never
 * lowers a server's epoch, so a half-finished switch (killed between the two servers) is repaired by writing again.
 */
import { ExitCode, MigrateError } from '../errors.js';
import { type Arg, asArray, asNumber, asText, cmd, type RedisPort, type Reply } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { stageChannel, stageHistoryKey, stageKey } from './names.js';
import { isStage, type Side, type Stage } from './stages.js';

export interface StageRecord {
  stage: Stage;
  /** +1 on every change; the higher epoch wins. 0: no switch has happened yet. */
  epoch: number;
  /** Share of buckets (0–100) at `stage`; the others are at the stage before it. */
  percent: number;
  /** True while a switch of the primary holds writes to the moving buckets. */
  fenced: boolean;
  /** When the record was written (ms since the epoch). */
  changedAt: number;
  reason: string;
}

/** Where every migration starts: all reads and writes on the source, nothing recorded yet. */
export const initialRecord: StageRecord = {
  stage: 'source',
  epoch: 0,
  percent: 100,
  fenced: false,
  changedAt: 0,
  reason: '',
};

/** One line of `__migrate:stage:history`. */
export interface StageChange extends StageRecord {
  from: { stage: Stage; epoch: number; percent: number; fenced: boolean };
  host: string;
  pid: number;
}

/** The record a server holds: a record, none (never written), or why it could not be read. */
export type SideRecord = StageRecord | 'none' | Error;

export interface StageReading {
  /** The record with the higher epoch (the initial record when neither server holds one). */
  record: StageRecord;
  source: SideRecord | undefined;
  target: SideRecord | undefined;
  /** Both servers answered and hold the same epoch (or neither holds a record). */
  agree: boolean;
}

/** The record in an HGETALL reply, or 'none' for an empty hash; a malformed record is an error. */
export function parseStageRecord(reply: Reply): StageRecord | 'none' | Error {
  if (reply instanceof Error) return reply;
  const flat = asArray(reply);
  if (flat.length === 0) return 'none';
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(asText(flat[i]), asText(flat[i + 1]));
  const stage = fields.get('stage') ?? '';
  const epoch = Number(fields.get('epoch'));
  const percent = Number(fields.get('percent') ?? 100);
  if (!isStage(stage) || !Number.isInteger(epoch) || !(percent >= 0 && percent <= 100)) {
    return new Error(`malformed stage record (stage '${stage}', epoch '${fields.get('epoch') ?? ''}')`);
  }
  return {
    stage,
    epoch,
    percent,
    fenced: fields.get('fenced') === '1',
    changedAt: Number(fields.get('changedAt') ?? 0) || 0,
    reason: fields.get('reason') ?? '',
  };
}

async function readSide(port: RedisPort | undefined): Promise<SideRecord | undefined> {
  if (!port) return undefined;
  try {
    const [reply] = await port.exec([cmd('HGETALL', [stageKey], stageKey)]);
    return parseStageRecord(reply ?? null);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

const epochOf = (side: SideRecord | undefined): number =>
  side === undefined || side instanceof Error ? -1 : side === 'none' ? 0 : side.epoch;

/** Reads the record from both servers (either may be missing or down); the higher epoch wins. */
export async function readStageRecord(ports: {
  source?: RedisPort;
  target?: RedisPort;
}): Promise<StageReading> {
  const [source, target] = await Promise.all([readSide(ports.source), readSide(ports.target)]);
  const winner = epochOf(target) >= epochOf(source) ? target : source;
  const record =
    winner === undefined || winner === 'none' || winner instanceof Error ? initialRecord : winner;
  const answered = [source, target].filter((side) => side !== undefined && !(side instanceof Error));
  const agree = answered.length === 2 && epochOf(source) === epochOf(target);
  return { record, source, target, agree };
}

/** Throws a clear error when no server could be read (both down, or a malformed record). */
export function requireRecord(reading: StageReading): StageRecord {
  const sides: Array<[Side, SideRecord | undefined]> = [
    ['target', reading.target],
    ['source', reading.source],
  ];
  const readable = sides.some(([, side]) => side !== undefined && !(side instanceof Error));
  if (!readable) {
    const why = sides
      .filter(([, side]) => side instanceof Error)
      .map(([name, side]) => `${name}: ${(side as Error).message}`)
      .join('; ');
    throw new MigrateError(`cannot read the stage record (${why || 'no server given'})`, {
      code: ExitCode.connect,
      hint: 'check that both endpoints answer, then run the command again',
    });
  }
  return reading.record;
}

/** Writes the record unless the server already holds a higher epoch; returns the epoch the server holds after. */
const writeIfNotOlder = `
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '-1')
local epoch = tonumber(ARGV[1])
if held > epoch then return held end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], unpack(ARGV, 2))
return epoch
`;

const recordFields = (record: StageRecord): Arg[] => [
  'stage',
  record.stage,
  'percent',
  record.percent,
  'fenced',
  record.fenced ? 1 : 0,
  'changedAt',
  record.changedAt,
  'reason',
  record.reason,
];

/** Writes the record on one server; returns the epoch it holds afterwards (higher than ours: someone else moved). */
export async function writeSide(port: RedisPort, record: StageRecord): Promise<number> {
  const [reply] = await execScripts(
    port,
    [scriptCommand(writeIfNotOlder, stageKey, [record.epoch, ...recordFields(record)])],
    [writeIfNotOlder],
  );
  if (reply instanceof Error) throw reply;
  return asNumber(reply);
}

/**
 * Moves the migration to `record`: target first, then source (so a reader of either sees the new epoch as soon as
 * the target has it), then the epoch is published on both and the change appended to both histories. Throws when a
 * server holds a newer epoch (another switch ran) or cannot be written; a rerun with the same record is harmless.
 */
export async function writeStageRecord(
  ports: { source: RedisPort; target: RedisPort },
  record: StageRecord,
  change: StageChange,
): Promise<void> {
  for (const side of ['target', 'source'] as const) {
    const held = await writeSide(ports[side], record);
    if (held > record.epoch) {
      throw new MigrateError(`the ${side} already holds stage epoch ${held}, newer than ${record.epoch}`, {
        code: ExitCode.notReady,
        hint: 'another cutover or rollback moved the stage meanwhile: run `migrate status`, then decide again',
      });
    }
  }
  const entry = JSON.stringify(change);
  await Promise.all(
    (['target', 'source'] as const).map((side) =>
      ports[side].exec([
        cmd('RPUSH', [stageHistoryKey, entry], stageHistoryKey),
        cmd('LTRIM', [stageHistoryKey, -1000, -1], stageHistoryKey),
        cmd('PUBLISH', [stageChannel, String(record.epoch)]),
      ]),
    ),
  );
}

/** The last `count` stage changes a server recorded, oldest first. */
export async function readStageHistory(port: RedisPort, count = 10): Promise<StageChange[]> {
  const [reply] = await port.exec([cmd('LRANGE', [stageHistoryKey, -count, -1], stageHistoryKey)]);
  const changes: StageChange[] = [];
  for (const line of asArray(reply ?? null)) {
    try {
      changes.push(JSON.parse(asText(line)) as StageChange);
    } catch {
      // a line another tool wrote: not ours to show
    }
  }
  return changes;
}
