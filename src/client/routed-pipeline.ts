import { type Command, Pipeline, type Redis } from 'ioredis';
import type { Side } from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { type Classified, classify } from './command-kind.js';
import { slotsOf, unmirrorable, useOf } from './dispatcher.js';
import type { Migration } from './migration.js';

export type PipelineResults = Array<[Error | null, unknown]>;

/**
 * `pipeline()` and `multi()` of the migrating client: commands queue as ioredis's Pipeline queues them (custom
 * commands included); exec() routes them. A pipeline's commands go to their own sides, each side's share as one
 * ioredis pipeline; a transaction goes whole to the primary of its keys as one MULTI … EXEC, and every key it wrote
 * is then mirrored.
 */
export class RoutedPipeline extends Pipeline {
  constructor(
    redis: Redis,
    private readonly migration: Migration,
    private readonly transaction: boolean,
  ) {
    super(redis);
  }

  override sendCommand(command: Command): unknown {
    (this as unknown as { _queue: Command[] })._queue.push(command);
    return this;
  }

  override exec(callback?: (error?: Error | null, results?: PipelineResults | null) => void) {
    const queued = [...(this as unknown as { _queue: Command[] })._queue];
    const items = queued.map((command) => ({ command, ...classify(command) }));
    const promise = this.transaction
      ? runTransaction(this.migration, items)
      : runPipeline(this.migration, items);
    if (callback) promise.then((results) => callback(null, results), callback);
    return promise;
  }
}

type Item = Classified & { command: Command };

/** Kinds a pipeline cannot carry: they need a connection of their own, or none. */
const refused = new Set(['subscribe', 'quit', 'unsupported']);

function admitted(migration: Migration, items: Item[]): Promise<void> {
  const slots = slotsOf(items.flatMap((item) => item.keys));
  const use = items.some((item) => item.kind !== 'read') ? 'write' : 'read';
  return new Promise((resolve, reject) => migration.router.admit(slots, use, resolve, reject));
}

async function runPipeline(migration: Migration, items: Item[]): Promise<PipelineResults> {
  const { router, dispatcher, sides } = migration.routing;
  await admitted(migration, items);
  const done = router.track();
  try {
    const results: PipelineResults = new Array(items.length);
    const bySide: Record<Side, number[]> = { source: [], target: [] };
    const sideOf: Array<Side | undefined> = [];
    items.forEach((item, i) => {
      const refusal = refusalOf(migration, item);
      if (refusal) {
        results[i] = [refusal, null];
        return;
      }
      try {
        const side = router.sideOf(slotsOf(item.keys), useOf(item.kind));
        bySide[side].push(i);
        sideOf[i] = side;
        if (item.name === 'eval') migration.scripts.learn(item.command.args[0] as Buffer | string);
      } catch (error) {
        results[i] = [error as Error, null];
      }
    });
    await Promise.all(
      (['source', 'target'] as const).map(async (side) => {
        const indexes = bySide[side];
        if (indexes.length === 0) return;
        const pipeline = sides[side].app.pipeline() as unknown as Pipeline;
        for (const i of indexes) pipeline.sendCommand(items[i]!.command);
        const replies = await pipeline.exec().catch((error: Error) => indexes.map(() => [error, null]));
        indexes.forEach((index, j) => {
          results[index] = (replies?.[j] ?? [new Error('no reply'), null]) as [Error | null, unknown];
        });
      }),
    );
    items.forEach((item, i) => {
      const side = sideOf[i];
      if (side) dispatcher.after({ kind: item.kind, keys: item.keys, side }, results[i]![0] ?? 'ok');
    });
    return results;
  } finally {
    done();
  }
}

async function runTransaction(migration: Migration, items: Item[]): Promise<PipelineResults | null> {
  const { router, dispatcher, sides } = migration.routing;
  const refusal = items.map((item) => refusalOf(migration, item)).find((error) => error !== undefined);
  if (refusal) throw refusal;
  await admitted(migration, items);
  const done = router.track();
  try {
    const side = router.sideOf(slotsOf(items.flatMap((item) => item.keys)), 'write');
    const transaction = sides[side].app.multi() as unknown as Pipeline;
    for (const item of items) {
      transaction.sendCommand(item.command);
      if (item.name === 'eval') migration.scripts.learn(item.command.args[0] as Buffer | string);
    }
    const mirror = () => {
      const written = items.filter((item) => item.kind !== 'read').flatMap((item) => item.keys);
      dispatcher.mirrorKeys(written, side);
    };
    try {
      const results = (await transaction.exec()) as PipelineResults | null;
      if (results !== null) mirror(); // null: a WATCHed key changed, nothing was written
      return results;
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ReplyError') mirror(); // the connection dropped: maybe written
      throw error;
    }
  } finally {
    done();
  }
}

function refusalOf(migration: Migration, item: Item): Error | undefined {
  if (refused.has(item.kind)) {
    return new MigrateError(
      `${item.name.toUpperCase()} cannot be sent in a pipeline of the migrating client`,
      {
        code: ExitCode.usage,
      },
    );
  }
  if (item.kind === 'keyless-write' && migration.router.mirroring()) return unmirrorable(item.name);
  return undefined;
}
