import { Cluster, Command, type Redis } from 'ioredis';
import type { Side } from '../control/stages.js';
import { asNumber, cmd } from '../redis/port.js';
import { slotOf } from '../redis/slot.js';
import { timeoutOf, withTimeout } from './blocking-timeout.js';
import type { SideConnections } from './endpoints.js';
import type { Router } from './router.js';

/** A blocking command on its way: the caller's command, and when its timeout runs out. */
interface Job {
  command: Command;
  name: string;
  keys: Array<Buffer | string>;
  slots: number[];
  /** Local ms; Infinity for a timeout of 0 (block for ever). */
  deadline: number;
  unblocked: boolean;
  /** CLIENT ID of the connection it blocks on, and the node that connection serves. */
  connection: { id: number; node: string } | undefined;
}

/** Each blocking call waits at most this long once a server refused CLIENT UNBLOCK: a switch then waits as long. */
const sliceMs = 1000;
const unblockTries = 50;

/**
 * Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK …) go to the primary only, one at a time per side, on a
 * connection of their own (as one ioredis connection runs them), so they never stall the application's other
 * commands or the library's. When the routing changes, the blocked command is released with CLIENT UNBLOCK and
 * sent again with the time it has left, under the new routing: its timeout holds across a stage change, and no
 * pop ever lands on a server that stopped being the primary.
 */
export class BlockingLanes {
  private readonly lanes: Record<Side, Lane>;

  constructor(
    sides: Record<Side, SideConnections>,
    private readonly router: Router,
    /** Called with the keys a blocking write changed, and where. */
    private readonly wrote: (keys: Array<Buffer | string>, side: Side) => void,
  ) {
    this.lanes = {
      source: new Lane(sides.source, router, (job, reply, side) => this.done(job, reply, side)),
      target: new Lane(sides.target, router, (job, reply, side) => this.done(job, reply, side)),
    };
  }

  run(command: Command, name: string, keys: Array<Buffer | string>): void {
    const timeout = timeoutOf(name, command.args);
    const job: Job = {
      command,
      name,
      keys,
      slots: [...new Set(keys.map((key) => slotOf(key)))],
      deadline: timeout === 0 ? Number.POSITIVE_INFINITY : Date.now() + timeout,
      unblocked: false,
      connection: undefined,
    };
    this.dispatch(job);
  }

  /** The routing changed: every blocked command is released and sent again under the new routing. */
  rerouted(): void {
    for (const lane of Object.values(this.lanes)) lane.unblockCurrent();
  }

  close(): void {
    for (const lane of Object.values(this.lanes)) lane.close();
  }

  private dispatch(job: Job): void {
    this.router.admit(
      job.slots,
      'write',
      () => {
        try {
          this.lanes[this.router.sideOf(job.slots, 'write')].enqueue(job);
        } catch (error) {
          job.command.reject(error as Error);
        }
      },
      (error) => job.command.reject(error),
    );
  }

  private done(job: Job, reply: unknown, side: Side): void {
    if (reply instanceof Error) {
      job.command.reject(reply);
      return;
    }
    if (reply === null && job.unblocked && job.deadline > Date.now()) {
      job.unblocked = false;
      this.dispatch(job);
      return;
    }
    if (reply !== null && job.name !== 'xread') this.wrote(job.keys, side);
    job.command.resolve(reply);
  }
}

/** One side's blocking connection and the commands waiting for it. */
class Lane {
  private client: Redis | Cluster | undefined;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private unblockRefused = false;

  constructor(
    private readonly side: SideConnections,
    private readonly router: Router,
    private readonly finished: (job: Job, reply: unknown, side: Side) => void,
  ) {}

  enqueue(job: Job): void {
    this.queue.push(job);
    void this.next();
  }

  unblockCurrent(): void {
    const job = this.current;
    if (!job || job.unblocked) return;
    job.unblocked = true;
    void this.unblock(job);
  }

  close(): void {
    this.client?.disconnect();
  }

  private async next(): Promise<void> {
    if (this.current || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.current = job;
    const done = this.router.track();
    let reply: unknown;
    try {
      reply = await this.block(job);
    } catch (error) {
      reply = error;
    } finally {
      done();
      this.current = undefined;
    }
    this.finished(job, reply, this.side.side);
    void this.next();
  }

  /** Sends the command with the time it has left; its connection's CLIENT ID first, for CLIENT UNBLOCK. */
  private async block(job: Job): Promise<unknown> {
    const left = job.deadline - Date.now();
    if (left <= 0) return null;
    const wait = this.unblockRefused ? Math.min(left, sliceMs) : left;
    const client = await this.connected();
    const connection = this.connectionFor(client, job.slots[0]!);
    const id = connection?.client('ID').catch(() => undefined);
    const command = new Command(job.name, withTimeout(job.name, job.command.args, wait), {
      replyEncoding: null,
    });
    client.sendCommand(command);
    const node = connection ? `${connection.options.host}:${connection.options.port}` : 'main';
    void id?.then((value) => {
      if (value !== undefined) job.connection = { id: asNumber(value as number), node };
    });
    const reply = await command.promise;
    // A sliced wait that ran out early goes round again under the routing of the moment.
    if (reply === null && wait < left) job.unblocked = true;
    return reply;
  }

  private async unblock(job: Job): Promise<void> {
    for (let attempt = 0; attempt < unblockTries && this.current === job; attempt++) {
      const connection = job.connection;
      if (connection) {
        const port = this.side.port;
        const node = port.topology === 'cluster' ? connection.node : undefined;
        const [reply] = await port.exec([cmd('CLIENT', ['UNBLOCK', connection.id])], node);
        if (reply instanceof Error) {
          this.unblockRefused = true; // from now on blocking calls are sliced: the switch waits one slice at most
          return;
        }
        if (asNumber(reply) === 1) return;
      }
      // Not blocking yet (the command is still on its way): try again shortly.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async connected(): Promise<Redis | Cluster> {
    if (!this.client) {
      this.client = this.side.duplicate();
      this.client.on('error', () => {}); // a failed blocking call reports it to its caller
    }
    if (this.client.status === 'wait') await this.client.connect().catch(() => {});
    return this.client;
  }

  /** The connection a command on `slot` travels on. */
  private connectionFor(client: Redis | Cluster, slot: number): Redis | undefined {
    if (!(client instanceof Cluster)) return client;
    const owner = client.slots[slot]?.[0];
    return client.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === owner);
  }
}
