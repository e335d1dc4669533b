import { type ChainableCommander, type Command, Redis } from 'ioredis';
import type { Side } from '../control/stages.js';
import { connectOnce, Migration, type Migration as MigrationCore } from './migration.js';
import type { MigrationStats } from './migration-stats.js';
import type { MigratingClientOptions } from './options.js';
import { RoutedPipeline } from './routed-pipeline.js';

/** Connection events the client reports from the side where most writes go (the primary of most buckets). */
const lifecycleEvents = ['connect', 'ready', 'close', 'reconnecting', 'end', 'wait'];

/**
 * The migrating client: an ioredis `Redis` whose commands go to the source or the target as the migration's stage
 * says, per key's bucket (src/control/stages.ts; docs/cutover.md). Every command method, `call`, `pipeline()`, `multi()`,
 * `defineCommand`, pub/sub and blocking commands answer as ioredis answers them, because each command is ioredis's
 * own Command object sent on an ioredis connection; only where it is sent, and what follows (mirror, shadow read),
 * is decided here. `migration` tells the stage and what the client did for it.
 *
 * Events: the primary's connection events (`ready`, `error`, `end` …), pub/sub messages, `migrationStage` (a new
 * stage record applied, with the record), `secondaryError` (the other side's connection errors, which never fail a
 * command).
 */
export class MigratingRedis extends Redis {
  readonly migration: MigrationCore;

  constructor(options: MigratingClientOptions) {
    super({ lazyConnect: true, keyPrefix: options.keyPrefix, enableAutoPipelining: false });
    this.migration = new Migration(options, (event, ...args) => this.emit(event, ...args));
    for (const side of ['source', 'target'] as const) this.forwardEvents(side);
    this.migration.start().catch(() => {}); // each side's failures surface on its own connection
    for (const side of ['source', 'target'] as const) {
      connectOnce(this.migration.sides[side].app).catch(() => {}); // reported through the 'error' event
    }
  }

  /** The stage this instance routes by, and its mirror and shadow-read counts. */
  migrationStats(): MigrationStats {
    return this.migration.stats();
  }

  override sendCommand(command: Command): unknown {
    this.migration.send(command);
    return command.promise;
  }

  override async connect(callback?: () => void): Promise<void> {
    await this.migration.start();
    const app = this.migration.sides[this.migration.primarySide()].app;
    if (app.status === 'wait') await app.connect();
    else if (app.status !== 'ready') await new Promise((resolve) => app.once('ready', resolve));
    callback?.();
  }

  override disconnect(): void {
    void this.migration.close(false);
  }

  override duplicate(): MigratingRedis {
    return new MigratingRedis({ ...this.migration.options, clientId: undefined });
  }

  override defineCommand(
    name: string,
    definition: { lua: string; numberOfKeys?: number; readOnly?: boolean },
  ) {
    this.migration.scripts.learn(definition.lua);
    super.defineCommand(name, definition);
  }

  override pipeline(commands?: unknown[][]): ChainableCommander {
    const pipeline = new RoutedPipeline(this, this.migration, false);
    if (commands) pipeline.addBatch(commands);
    return pipeline;
  }

  // biome-ignore lint/suspicious/noExplicitAny: ioredis's own overloads of multi() (pipeline: false is refused)
  override multi(...args: any[]): any {
    const [first, second] = args;
    const options = Array.isArray(first) ? second : first;
    if (options?.pipeline === false) {
      return Promise.reject(new Error('multi({ pipeline: false }) is not supported: use multi() … exec()'));
    }
    const transaction = new RoutedPipeline(this, this.migration, true);
    if (Array.isArray(first)) transaction.addBatch(first);
    return transaction;
  }

  override monitor(): Promise<Redis> {
    return Promise.reject(new Error('MONITOR is not supported by the migrating client: monitor each server'));
  }

  private forwardEvents(side: Side): void {
    const app = this.migration.sides[side].app;
    const isPrimary = () => this.migration.primarySide() === side;
    for (const event of lifecycleEvents) {
      app.on(event, (...args: unknown[]) => {
        if (isPrimary()) this.emit(event, ...args);
      });
    }
    app.on('error', (error: Error) => {
      const event = isPrimary() ? 'error' : 'secondaryError';
      if (this.listenerCount(event) > 0) this.emit(event, error);
      else if (event === 'error') console.error('[ioredis] Unhandled error event:', error.stack);
    });
  }
}

// The status is the primary connection's; ioredis's own assignments to it (in its constructor) are ignored.
Object.defineProperty(MigratingRedis.prototype, 'status', {
  configurable: true,
  get(this: MigratingRedis) {
    const migration = this.migration as MigrationCore | undefined;
    return migration ? migration.sides[migration.primarySide()].app.status : 'wait';
  },
  set() {},
});
