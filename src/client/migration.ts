import type { Cluster, Command, Redis } from 'ioredis';
import type { ClientHeartbeat } from '../control/heartbeats.js';
import type { StageRecord } from '../control/stage-record.js';
import type { Placement, Side } from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { stampKeyFor } from '../redis/slot.js';
import { BlockingLanes } from './blocking.js';
import { classify, plainKind } from './command-kind.js';
import { Dispatcher } from './dispatcher.js';
import { openSide, type SideConnections } from './endpoints.js';
import { HeartbeatPublisher } from './heartbeat.js';
import { KnownScripts } from './known-scripts.js';
import { heartbeatOf, type MigrationParts, type MigrationStats, statsOf } from './migration-stats.js';
import { Mirror } from './mirror.js';
import { type ClientSettings, type MigratingClientOptions, resolveSettings } from './options.js';
import { pendingReplies } from './pending-replies.js';
import { RepairLog } from './repair-log.js';
import { Router } from './router.js';
import { ShadowReads } from './shadow-reads.js';
import { StageFollower } from './stage-follower.js';
import { Subscriptions } from './subscriptions.js';
import { libraryVersion } from './version.js';

/** How long a clean close waits for commands in flight and for the mirror to drain. */
const closeWithinMs = 5000;

const within = (work: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

/** The migration machinery behind one client: connections, routing, stage, mirror, shadow reads, heartbeat. */
export class Migration {
  readonly settings: ClientSettings;
  readonly sides: Record<Side, SideConnections>;
  readonly router: Router;
  private readonly repair: RepairLog;
  private readonly mirror: Mirror;
  private readonly shadow: ShadowReads;
  readonly scripts = new KnownScripts();
  private readonly dispatcher: Dispatcher;
  private readonly blocking: BlockingLanes;
  private readonly subscriptions: Subscriptions;
  private readonly follower: StageFollower;
  private readonly heartbeat: HeartbeatPublisher;
  private readonly version = libraryVersion();
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly options: MigratingClientOptions,
    private readonly emit: (event: string, ...args: unknown[]) => void,
  ) {
    this.settings = resolveSettings(options);
    this.sides = { source: openSide('source', options.source), target: openSide('target', options.target) };
    const ports = { source: this.sides.source.port, target: this.sides.target.port };
    this.router = new Router(this.settings.fenceTimeoutMs);
    this.repair = new RepairLog(ports.target);
    this.mirror = new Mirror(
      ports,
      this.router,
      this.repair,
      this.settings,
      (side) => this.sides[side].port.client.status === 'ready',
    );
    this.shadow = new ShadowReads(ports, this.router, (key) => this.mirror.pending(key), this.settings);
    this.dispatcher = new Dispatcher(this.sides, this.router, this.mirror, this.shadow, this.scripts);
    this.blocking = new BlockingLanes(this.sides, this.router, (keys, side) =>
      this.dispatcher.mirrorKeys(keys, side),
    );
    this.subscriptions = new Subscriptions(this.sides, this.router, emit);
    this.follower = new StageFollower(
      this.sides,
      this.router,
      {
        rerouted: () => {
          this.blocking.rerouted();
          this.subscriptions.rerouted();
        },
        beforeFenceAck: (from, to) => this.beforeFenceAck(from, to),
        sentBefore: () => this.sentBefore(),
        acknowledged: (record) => this.acknowledged(record),
      },
      this.settings,
    );
    this.heartbeat = new HeartbeatPublisher(
      ports.target,
      () => this.heartbeatNow(),
      this.settings.heartbeatEveryMs,
    );
  }

  /** Connects the library's own connections and reads the stage (either server may be down). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await Promise.allSettled(
        (['source', 'target'] as const).map((side) => connectOnce(this.sides[side].port.client)),
      );
      await this.follower.start();
      this.heartbeat.start();
      stampKeyFor(''); // builds the per-slot tag table once (tens of ms), before the first mirror needs it
    })();
    return this.starting;
  }

  /** The side whose connection events the client reports as its own: where most writes go now. */
  primarySide(): Side {
    return this.router.current ? this.router.sideOf([], 'write') : 'source';
  }

  send(command: Command): void {
    if (this.closed) {
      command.reject(new Error('Connection is closed.'));
      return;
    }
    const plain = plainKind(command.name);
    if (plain !== undefined) {
      // Nothing follows the reply: straight to the connection (a stage change counts these from ioredis's queues).
      const route =
        this.router.passiveRoute() ?? (plain === 'read' ? this.router.passiveReadRoute() : undefined);
      if (route) {
        this.sides[plain === 'read' ? route.reads : route.primary].app.sendCommand(command);
        return;
      }
    }
    const classified = classify(command);
    switch (classified.kind) {
      case 'quit':
        this.close(true).then(
          () => command.resolve('OK'),
          (error: Error) => command.reject(error),
        );
        return;
      case 'subscribe':
        this.subscriptions.send(command, classified.name);
        return;
      case 'blocking':
        this.blocking.run(command, classified.name, classified.keys);
        return;
      case 'unsupported':
        command.reject(unsupported(classified.name));
        return;
      default:
        this.dispatcher.send(command, classified);
    }
  }

  /** Runs queued pipeline or transaction commands through the same routing (src/client/routed-pipeline.ts). */
  get routing(): { router: Router; dispatcher: Dispatcher; sides: Record<Side, SideConnections> } {
    return { router: this.router, dispatcher: this.dispatcher, sides: this.sides };
  }

  stats(): MigrationStats {
    return statsOf(this.parts());
  }

  /** quit (graceful: in-flight commands and mirrors finish first) or disconnect. Memoised. */
  close(graceful: boolean): Promise<void> {
    this.closing ??= this.shutdown(graceful);
    return this.closing;
  }

  private async shutdown(graceful: boolean): Promise<void> {
    this.closed = true;
    this.follower.stop();
    if (graceful) {
      await within(this.router.settled(), closeWithinMs);
      await within(this.mirror.drained(), closeWithinMs);
    }
    this.router.failHeld(new Error('Connection is closed.'));
    this.mirror.close(); // what is left is recorded for repair
    await within(this.repair.settled(), graceful ? 2000 : 500);
    this.repair.close();
    await this.heartbeat.stop(this.settings.clientId, 1000);
    this.blocking.close();
    this.subscriptions.close();
    await Promise.all(
      (['source', 'target'] as const).map(async (side) => {
        const { app, port } = this.sides[side];
        if (graceful && app.status === 'ready') await app.quit().catch(() => app.disconnect());
        else app.disconnect();
        await port.close();
      }),
    );
  }

  private async beforeFenceAck(_from: Placement, _to: Placement): Promise<void> {
    const scripts = Promise.all([
      this.scripts.loadOn(this.sides.source.port),
      this.scripts.loadOn(this.sides.target.port),
    ]);
    await Promise.all([this.mirror.drained(), within(scripts, 1000)]);
  }

  /** Settles once every command the application connections hold now has its reply (or failed). */
  private sentBefore(): Promise<unknown> {
    const apps = [this.sides.source.app, this.sides.target.app];
    return Promise.allSettled(apps.flatMap((app) => pendingReplies(app)));
  }

  private acknowledged(record: StageRecord): void {
    this.heartbeat.publish();
    this.emit('migrationStage', { ...record });
  }

  private heartbeatNow(): ClientHeartbeat | undefined {
    return heartbeatOf(this.parts(), this.version);
  }

  private parts(): MigrationParts {
    return {
      clientId: this.settings.clientId,
      acked: this.follower.acked,
      router: this.router,
      mirror: this.mirror,
      repair: this.repair,
      shadow: this.shadow,
    };
  }
}

/** connect() of a client not yet connected; rejects when the first attempt fails (it keeps trying meanwhile). */
export const connectOnce = (client: Redis | Cluster): Promise<void> =>
  client.status === 'wait' ? client.connect() : Promise.resolve();

const unsupported = (name: string): MigrateError =>
  new MigrateError(`${name.toUpperCase()} is not supported by the migrating client`, {
    code: ExitCode.usage,
    hint:
      name === 'multi' || name === 'exec'
        ? 'use redis.multi() … .exec() (a transaction sent as one pipeline)'
        : 'keep per-connection state (SELECT, MONITOR, RESET) out of a client that talks to two servers',
  });
