/**
 * What `migrate cutover` / `rollback` do to the stage, for tests of the client library, following the switch
 * protocol with the control module: gates (every live client on the current epoch, repair set empty), a fenced
 * two-epoch step when a primary moves (acknowledgements, a copy pass of the moving buckets, then the unfenced epoch),
 * and a catch-up copy for buckets that start mirroring. Copies are stamped, so they are safe beside live mirrors.
 * Replace `stepTo` with a run of the real CLI once it exists; the tests only need "move the stage to X".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readHeartbeats } from '../../src/control/heartbeats.js';
import { repairSetKey, switchLockKey } from '../../src/control/names.js';
import {
  readStageRecord,
  requireRecord,
  type StageRecord,
  writeStageRecord,
} from '../../src/control/stage-record.js';
import {
  otherSide,
  type Placement,
  primaryMoves,
  routeOfSlot,
  type Side,
  type Stage,
} from '../../src/control/stages.js';
import type { BatchContext } from '../../src/keys/batch-context.js';
import { defaultKeyCopyOptions } from '../../src/keys/options.js';
import { scanPages } from '../../src/keys/scanner.js';
import { copyStructBatch } from '../../src/keys/struct-batch.js';
import { Tally } from '../../src/keys/tally.js';
import { asArray, cmd, type RedisPort } from '../../src/redis/port.js';
import { callGroups } from '../../src/redis/routing.js';
import { slotOf } from '../../src/redis/slot.js';

export type Ports = Record<Side, RedisPort>;

export interface StepResult {
  record: StageRecord;
  fenced: boolean;
  /** Time between the fenced and the unfenced epoch (0 when nothing was fenced). */
  pauseMs: number;
}

const allSlots = Array.from({ length: 16384 }, (_, slot) => slot);

/** Moves the stage to `next` the way the CLI does. Throws when clients do not follow within `timeoutMs`. */
export async function stepTo(ports: Ports, next: Placement, timeoutMs = 15_000): Promise<StepResult> {
  const lock = await ports.target.exec([
    cmd('SET', [switchLockKey, String(process.pid), 'NX', 'PX', 60_000]),
  ]);
  if (lock[0] === null) throw new Error('another switch holds the lock');
  try {
    const current = requireRecord(await readStageRecord(ports));
    await waitForClients(ports.target, (c) => c.epoch === current.epoch, 'on the current epoch', timeoutMs);
    await repairRecorded(ports, current);
    const moving = new Set(allSlots.filter((slot) => primaryMoves(current, next, slot)));
    if (moving.size === 0) {
      const record = await write(ports, current, next, false);
      await waitForClients(
        ports.target,
        (c) => c.epoch === record.epoch,
        `on epoch ${record.epoch}`,
        timeoutMs,
      );
      const gaining = allSlots.filter(
        (slot) => !routeOfSlot(current, slot).mirror && routeOfSlot(next, slot).mirror,
      );
      if (gaining.length > 0)
        await copySlots(ports, routeOfSlot(next, gaining[0]!).primary, new Set(gaining));
      return { record, fenced: false, pauseMs: 0 };
    }
    const fence = await write(ports, current, next, true);
    const fencedAt = Date.now();
    await waitForClients(
      ports.target,
      (c) => c.epoch === fence.epoch && c.holdingWrites && c.mirrorQueue === 0,
      `acknowledging fenced epoch ${fence.epoch}`,
      timeoutMs,
    );
    // No sync runs beside these tests: a copy pass of the moving buckets stands in for a drained change feed.
    await copySlots(ports, routeOfSlot(current, [...moving][0]!).primary, moving);
    await repairRecorded(ports, current);
    const record = await write(ports, fence, next, false);
    const pauseMs = Date.now() - fencedAt;
    await waitForClients(
      ports.target,
      (c) => c.epoch === record.epoch,
      `on epoch ${record.epoch}`,
      timeoutMs,
    );
    return { record, fenced: true, pauseMs };
  } finally {
    await ports.target.exec([cmd('DEL', [switchLockKey])]);
  }
}

async function write(
  ports: Ports,
  from: StageRecord,
  next: Placement,
  fenced: boolean,
): Promise<StageRecord> {
  const record: StageRecord = {
    stage: next.stage,
    percent: next.percent,
    epoch: from.epoch + 1,
    fenced,
    changedAt: Date.now(),
    reason: 'test',
  };
  const change = {
    ...record,
    from: { stage: from.stage, epoch: from.epoch, percent: from.percent, fenced: from.fenced },
    host: 'test',
    pid: process.pid,
  };
  await writeStageRecord(ports, record, change);
  return record;
}

/** Waits until every live client heartbeat satisfies `ok`. */
export async function waitForClients(
  target: RedisPort,
  ok: (client: Awaited<ReturnType<typeof readHeartbeats>>[number]) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const clients = await readHeartbeats(target);
    if (clients.every(ok)) return;
    if (Date.now() > deadline) {
      throw new Error(`clients not ${what} after ${timeoutMs} ms: ${JSON.stringify(clients)}`);
    }
    await sleep(10);
  }
}

/** A stamped copy of every key of `slots` from `from` to the other side (keys only on the other side are deleted). */
export async function copySlots(ports: Ports, from: Side, slots: ReadonlySet<number>): Promise<void> {
  const keys = new Map<string, Buffer>();
  for (const side of [from, otherSide(from)]) {
    for await (const page of scanPages(ports[side], { match: '*', count: 1000 })) {
      for (const key of page.keys) if (slots.has(slotOf(key))) keys.set(key.toString('latin1'), key);
    }
  }
  await copyKeys(ports, from, [...keys.values()]);
}

/** Copies the keys recorded in `__migrate:repair` from each one's primary, then removes them from the set. */
export async function repairRecorded(ports: Ports, placement: Placement): Promise<number> {
  const [members] = await ports.target.exec([cmd('SMEMBERS', [repairSetKey], repairSetKey)]);
  const keys = asArray(members ?? null) as Buffer[];
  if (keys.length === 0) return 0;
  for (const side of ['source', 'target'] as const) {
    await copyKeys(
      ports,
      side,
      keys.filter((key) => routeOfSlot(placement, slotOf(key)).primary === side),
    );
  }
  await ports.target.exec([cmd('SREM', [repairSetKey, ...keys], repairSetKey)]);
  return keys.length;
}

async function copyKeys(ports: Ports, from: Side, keys: Buffer[]): Promise<void> {
  const context: BatchContext = {
    source: ports[from],
    target: ports[otherSide(from)],
    options: { ...defaultKeyCopyOptions, onConflict: 'replace' },
    typeFilter: '',
    stamped: true,
    stopIfFatal: () => {},
  };
  for (const { node, indexes } of callGroups(ports[from], keys)) {
    const group = indexes.map((i) => keys[i]!);
    for (let i = 0; i < group.length; i += 500) {
      const tally = new Tally();
      await copyStructBatch(context, node, group.slice(i, i + 500), tally);
      if (tally.counts.failed > 0) throw new Error(`copy failed: ${JSON.stringify(tally.failures)}`);
    }
  }
}

/** The stages walked at 10, 50 and 100 % each, from `source` to `complete`. */
export const forwardWalk = (percents = [10, 50, 100]): Placement[] =>
  (['dual-write', 'shadow', 'live', 'rampdown', 'complete'] as Stage[]).flatMap((stage) =>
    percents.map((percent) => ({ stage, percent })),
  );
