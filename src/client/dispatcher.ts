import { Command } from 'ioredis';
import { otherSide, type Side } from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { slotOf } from '../redis/slot.js';
import type { Classified, CommandKind } from './command-kind.js';
import type { SideConnections } from './endpoints.js';
import type { KnownScripts } from './known-scripts.js';
import type { Mirror } from './mirror.js';
import { keylessSlot, type Router, type Use } from './router.js';
import type { ShadowReads } from './shadow-reads.js';

/** What a command touched, for what follows its reply: mirror its keys, or compare them (shadow read). */
export interface Sent {
  kind: CommandKind;
  keys: Array<Buffer | string>;
  side: Side;
}

export const useOf = (kind: CommandKind): Use => (kind === 'read' ? 'read' : 'write');

export const slotsOf = (keys: ReadonlyArray<Buffer | string>): number[] =>
  keys.length === 1 ? [slotOf(keys[0]!)] : [...new Set(keys.map((key) => slotOf(key)))];

/** A reply error (WRONGTYPE, ERR …) means nothing was written; a lost connection leaves it unknown. */
const maybeWrote = (kind: CommandKind, error: unknown): boolean =>
  kind === 'script' ||
  !(error instanceof Error) ||
  (error.name !== 'ReplyError' && !(error instanceof MigrateError));

/**
 * Sends single commands where the routing says (reads to the read side, the rest to the primary) on the
 * application's own ioredis connections, so replies, errors, retries and offline queueing are ioredis's; then
 * mirrors what a write touched, or samples a read for comparison. Counts every command in flight for the router.
 */
export class Dispatcher {
  constructor(
    private readonly sides: Record<Side, SideConnections>,
    private readonly router: Router,
    private readonly mirror: Mirror,
    private readonly shadow: ShadowReads,
    private readonly scripts: KnownScripts,
  ) {}

  send(command: Command, { kind, name, keys }: Classified): void {
    if (kind === 'keyless-write' && this.router.mirroring()) {
      command.reject(unmirrorable(name));
      return;
    }
    const route = this.router.fastRoute();
    if (route) {
      this.start(command, kind, name, keys, kind === 'read' ? route.reads : route.primary);
      return;
    }
    const slots = slotsOf(keys);
    this.router.admit(
      slots,
      useOf(kind),
      () => {
        let side: Side;
        try {
          side = this.router.sideOf(slots, useOf(kind));
        } catch (error) {
          command.reject(error as Error);
          return;
        }
        this.start(command, kind, name, keys, side);
      },
      (error) => command.reject(error),
    );
  }

  /** What follows a reply: mirror the keys a write may have changed, or perhaps compare a read. */
  after(sent: Sent, outcome: 'ok' | unknown): void {
    if (sent.kind === 'read') {
      if (outcome === 'ok') this.shadow.sample(sent.keys, sent.side);
      return;
    }
    if (
      (sent.kind !== 'write' && sent.kind !== 'script' && sent.kind !== 'blocking') ||
      sent.keys.length === 0
    )
      return;
    if (outcome !== 'ok' && !maybeWrote(sent.kind, outcome)) return;
    this.mirrorKeys(sent.keys, sent.side);
  }

  /** after(), never keeping a reply from its caller. */
  private afterSafely(sent: Sent, outcome: 'ok' | unknown): void {
    try {
      this.after(sent, outcome);
    } catch {
      // a mirror or shadow-read fault is counted where it happens; the caller gets the primary's reply regardless
    }
  }

  /** Queues the keys whose slot mirrors writes from `side`. */
  mirrorKeys(keys: ReadonlyArray<Buffer | string>, side: Side): void {
    const uniform = this.router.uniform;
    if (uniform) {
      if (uniform.mirror !== undefined && uniform.primary === side) this.mirror.mark(keys, side);
      return;
    }
    const mirrored = keys.filter((key) => {
      const route = this.router.route(slotOf(key));
      return route.mirror !== undefined && route.primary === side;
    });
    if (mirrored.length > 0) this.mirror.mark(mirrored, side);
  }

  /**
   * Sends the command on the side's own ioredis connection. Its settling is seen by wrapping the command's own
   * resolve and reject (what ioredis calls with the reply), which costs less than a promise per command.
   */
  private start(command: Command, kind: CommandKind, name: string, keys: Array<Buffer | string>, side: Side) {
    const done = this.router.track();
    const sent: Sent = { kind, keys, side };
    const { resolve, reject } = command;
    command.resolve = (reply) => {
      done();
      this.afterSafely(sent, 'ok');
      return resolve(reply);
    };
    command.reject = (error) => {
      done();
      this.afterSafely(sent, error);
      reject(error);
    };
    if (name === 'eval') this.scripts.learn(command.args[0] as Buffer | string);
    if (kind === 'broadcast') this.broadcast(command, name, side);
    if (name === 'evalsha' && Object.getPrototypeOf(command) === Command.prototype)
      this.evalsha(command, side);
    else this.sides[side].app.sendCommand(command);
  }

  /** PUBLISH, SCRIPT LOAD, FUNCTION LOAD …: also to the other side while both are live (its reply is not the caller's). */
  private broadcast(command: Command, name: string, side: Side): void {
    if (name === 'script') this.scripts.learn(command.args[1] as Buffer | string);
    if (this.router.route(keylessSlot).mirror === undefined) return;
    const other = this.sides[otherSide(side)];
    if (name === 'script') {
      void this.scripts.loadOn(other.port);
      return;
    }
    const copy = new Command(command.name, command.args, { replyEncoding: null });
    copy.promise.catch(() => {});
    other.app.sendCommand(copy);
  }

  /** EVALSHA of a body this client knows: sent again as EVAL where the server lacks it (a fresh primary). */
  private evalsha(command: Command, side: Side): void {
    const app = this.sides[side].app;
    const body = this.scripts.bodyOf(command.args[0] as Buffer | string);
    const raw = (name: string, args: typeof command.args) => {
      const inner = new Command(name, args, { replyEncoding: null });
      app.sendCommand(inner);
      return inner.promise;
    };
    raw('evalsha', command.args)
      .catch((error: Error) => {
        if (body === undefined || !error.message.startsWith('NOSCRIPT')) throw error;
        return raw('eval', [body, ...command.args.slice(1)]);
      })
      .then(
        (reply) => command.resolve(reply),
        (error: Error) => command.reject(error),
      );
  }
}

export const unmirrorable = (name: string): MigrateError =>
  new MigrateError(
    `${name.toUpperCase()} has no keys to mirror, so it is refused while writes are mirrored`,
    {
      code: ExitCode.usage,
      hint: 'run it in stage source or complete, or on each server yourself',
    },
  );
