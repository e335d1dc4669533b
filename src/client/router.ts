import {
  type Placement,
  previousStage,
  routeOfSlot,
  routes,
  type Side,
  type StageRoute,
} from '../control/stages.js';
import { ExitCode, MigrateError } from '../errors.js';
import { InFlight } from './in-flight.js';

/** The routing in force. */
export interface Routing {
  /** The epoch of the record it comes from. */
  epoch: number;
  /** Where commands go. While a switch of the primary is fenced, the placement from before it. */
  placement: Placement;
  /** While fenced: the placement being switched to. Writes to slots whose primary moves wait for the next epoch. */
  fencedTo: Placement | undefined;
  /** Every write waits (a client that starts during a fence and cannot tell which slots move). */
  holdAllWrites?: boolean;
}

export type Use = 'read' | 'write';

/** Keyless commands (PING, SCAN, FLUSHDB…) route as this pseudo slot: by the stage most buckets are at. */
export const keylessSlot = -1;

export function routeOf(placement: Placement, slot: number): StageRoute {
  if (slot !== keylessSlot) return routeOfSlot(placement, slot);
  const stage = placement.percent >= 50 ? placement.stage : previousStage(placement.stage);
  return routes[stage ?? placement.stage];
}

interface Waiting {
  slots: number[];
  use: Use;
  start: () => void;
  fail: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Decides where each command goes, holds commands that must wait (before the first record is read, writes to a
 * slot whose primary is switching, every write once the record could not be read for a lease) and releases them in
 * order, and counts commands in flight per routing so a new epoch is reported only once the old routing is idle.
 */
export class Router {
  private routing: Routing | undefined;
  private holdingWrites = false;
  /** Every slot routes alike (no partial stage, no fence): commands skip the per-slot work. */
  private uniformRoute: StageRoute | undefined;
  /** The uniform route when it also mirrors nothing and compares nothing (source, complete). */
  private passive: StageRoute | undefined;
  /** The uniform route when reads are compared with nothing (all but shadow and live): reads need nothing after. */
  private passiveReads: StageRoute | undefined;
  private readonly inFlight = new InFlight();
  private readonly waiting: Waiting[] = [];

  constructor(private readonly fenceTimeoutMs: number) {}

  get current(): Routing | undefined {
    return this.routing;
  }

  /** Commands held right now. */
  get held(): number {
    return this.waiting.length;
  }

  set(routing: Routing): void {
    this.routing = routing;
    this.inFlight.next();
    const { placement } = routing;
    const whole = placement.percent === 100 || placement.percent === 0 || !previousStage(placement.stage);
    this.uniformRoute =
      whole && !routing.fencedTo && !routing.holdAllWrites ? routeOf(placement, keylessSlot) : undefined;
    const route = this.uniformRoute;
    this.passive = route && !route.mirror && !route.shadowReads ? route : undefined;
    this.passiveReads = route && !route.shadowReads ? route : undefined;
    this.release();
  }

  /** The lease ran out (true) or the record was read again (false). */
  holdWrites(hold: boolean): void {
    this.holdingWrites = hold;
    if (!hold) this.release();
  }

  /** The one route of every slot, when nothing is held or partial: the common case, decided without slots. */
  fastRoute(): StageRoute | undefined {
    return this.holdingWrites || this.waiting.length > 0 ? undefined : this.uniformRoute;
  }

  /**
   * The route when nothing follows a reply (no mirror, no shadow read) and nothing is held: commands go straight
   * to the primary's connection (the stage change counts them from ioredis's own queues: src/client/pending-replies.ts).
   */
  passiveRoute(): StageRoute | undefined {
    return this.holdingWrites || this.waiting.length > 0 ? undefined : this.passive;
  }

  /**
   * The route when nothing follows a read's reply (no shadow read) and nothing is held (a held write keeps the reads
   * behind it waiting): reads go straight to the read side's connection, counted at a stage change as passive ones are.
   */
  passiveReadRoute(): StageRoute | undefined {
    return this.holdingWrites || this.waiting.length > 0 ? undefined : this.passiveReads;
  }

  /** The one route of every slot, when the stage is whole and not fenced. */
  get uniform(): StageRoute | undefined {
    return this.uniformRoute;
  }

  /** Runs `start` now, or once the slots are free; `fail` gets the error when the wait outlasts the fence timeout. */
  admit(slots: number[], use: Use, start: () => void, fail: (error: Error) => void): void {
    if (!this.mustWait(slots, use, this.waiting.length > 0)) {
      start();
      return;
    }
    const entry: Waiting = {
      slots,
      use,
      start,
      fail,
      timer: setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        fail(heldTooLong(this.fenceTimeoutMs));
      }, this.fenceTimeoutMs),
    };
    this.waiting.push(entry);
  }

  /** Where a command on `slots` goes; throws when its slots route to two servers (a partial stage, no hash tag). */
  sideOf(slots: readonly number[], use: Use): Side {
    const placement = this.routing!.placement;
    let side: Side | undefined;
    for (const slot of slots.length === 0 ? [keylessSlot] : slots) {
      const route = routeOf(placement, slot);
      const here = use === 'read' ? route.reads : route.primary;
      if (side !== undefined && here !== side) throw crossStage(placement);
      side = here;
    }
    return side!;
  }

  route(slot: number): StageRoute {
    return routeOf(this.routing!.placement, slot);
  }

  /** Some bucket mirrors its writes now (then a write without keys could not be mirrored). */
  mirroring(): boolean {
    const placement = this.routing?.placement;
    if (!placement) return false;
    const before = previousStage(placement.stage);
    return (
      (placement.percent > 0 && routes[placement.stage].mirror !== undefined) ||
      (placement.percent < 100 && before !== undefined && routes[before].mirror !== undefined)
    );
  }

  /** Counts a command in flight under the current routing; call the returned function (once or more) when done. */
  track(): () => void {
    return this.inFlight.track();
  }

  /** Resolves once every command started under an earlier routing has finished. */
  drained(): Promise<void> {
    return this.inFlight.drained();
  }

  /** Resolves once no command is in flight. */
  settled(): Promise<void> {
    return this.inFlight.settled();
  }

  /** Fails every held command (the client is closing). */
  failHeld(error: Error): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.fail(error);
    }
  }

  /** `writesAhead`: a held command comes before this one (a read then waits too: ioredis keeps order per connection). */
  private mustWait(slots: readonly number[], use: Use, writesAhead: boolean): boolean {
    const routing = this.routing;
    if (!routing) return true;
    if (use === 'write' && (this.holdingWrites || routing.holdAllWrites)) return true;
    const to = routing.fencedTo;
    if (!to || (use === 'read' && !writesAhead)) return false;
    for (const slot of slots.length === 0 ? [keylessSlot] : slots) {
      if (routeOf(routing.placement, slot).primary !== routeOf(to, slot).primary) return true;
    }
    return false;
  }

  private release(): void {
    const ready: Waiting[] = [];
    const still: Waiting[] = [];
    let writeHeld = false;
    for (const entry of this.waiting) {
      if (this.mustWait(entry.slots, entry.use, writeHeld)) {
        still.push(entry);
        writeHeld ||= entry.use === 'write';
      } else {
        clearTimeout(entry.timer);
        ready.push(entry);
      }
    }
    this.waiting.splice(0, this.waiting.length, ...still);
    for (const entry of ready) entry.start();
  }
}

const heldTooLong = (ms: number): MigrateError =>
  new MigrateError(
    `command held ${ms} ms and not sent: no routing to trust (a switch of its server did not finish, or the stage record could not be read)`,
    {
      code: ExitCode.notReady,
      hint: 'check `migrate status` and that both servers answer; the command was not run and can be retried',
    },
  );

const crossStage = (placement: Placement): MigrateError =>
  new MigrateError(
    `the keys of one command route to two servers at ${placement.stage} ${placement.percent}% (their slots are at different stages)`,
    {
      code: ExitCode.usage,
      hint: 'keys used together in one command must share a hash tag, e.g. {user:42}:a and {user:42}:b',
    },
  );
