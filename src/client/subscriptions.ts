import type { Cluster, Command, Redis } from 'ioredis';
import type { Side } from '../control/stages.js';
import type { SideConnections } from './endpoints.js';
import type { Router } from './router.js';

type Family = 'subscribe' | 'psubscribe' | 'ssubscribe';
const families: Family[] = ['subscribe', 'psubscribe', 'ssubscribe'];
const unsubscribeOf: Record<Family, string> = {
  subscribe: 'unsubscribe',
  psubscribe: 'punsubscribe',
  ssubscribe: 'sunsubscribe',
};
const messageEvents = [
  'message',
  'messageBuffer',
  'pmessage',
  'pmessageBuffer',
  'smessage',
  'smessageBuffer',
];

/**
 * The application's subscriptions live on a subscriber connection to the read side (most buckets' read side), as
 * ioredis's subscriber mode would, and move when the read side moves: subscribed on the new side first, then
 * dropped on the old one. PUBLISH goes to both sides while both are live, so no message is lost in the move (one
 * published meanwhile may arrive twice). Unlike one ioredis connection, other commands stay usable meanwhile.
 */
export class Subscriptions {
  private readonly connections: Partial<Record<Side, Redis | Cluster>> = {};
  private readonly channels: Record<Family, Map<string, Buffer | string>> = {
    subscribe: new Map(),
    psubscribe: new Map(),
    ssubscribe: new Map(),
  };
  private side: Side | undefined;

  constructor(
    private readonly sides: Record<Side, SideConnections>,
    private readonly router: Router,
    private readonly emit: (event: string, ...args: unknown[]) => void,
  ) {}

  send(command: Command, name: string): void {
    this.router.admit(
      [],
      'read',
      () => this.apply(command, name),
      (error) => command.reject(error),
    );
  }

  /** The routing changed: move the subscriptions if the read side moved. */
  rerouted(): void {
    const side = this.router.sideOf([], 'read');
    const from = this.side;
    if (from === undefined || from === side) return;
    this.side = side;
    const to = this.connection(side);
    const old = this.connections[from];
    delete this.connections[from];
    const subscribed = families.map((family) => {
      const names = [...this.channels[family].values()];
      return names.length > 0 ? to.call(family, ...names).catch(() => {}) : undefined;
    });
    // The old connection keeps delivering until the new one is subscribed: no message falls in between.
    void Promise.all(subscribed).finally(() => old?.disconnect());
  }

  close(): void {
    for (const connection of Object.values(this.connections)) connection?.disconnect();
  }

  private apply(command: Command, name: string): void {
    const family = families.find((f) => f === name || unsubscribeOf[f] === name)!;
    const names = command.args as Array<Buffer | string>;
    if (family === name) for (const channel of names) this.channels[family].set(String(channel), channel);
    else if (names.length === 0) this.channels[family].clear();
    else for (const channel of names) this.channels[family].delete(String(channel));
    this.side ??= this.router.sideOf([], 'read');
    const connection = family === name ? this.connection(this.side) : this.connections[this.side];
    if (connection) connection.sendCommand(command);
    else command.resolve(0);
  }

  private connection(side: Side): Redis | Cluster {
    let connection = this.connections[side];
    if (!connection) {
      connection = this.sides[side].duplicate();
      for (const event of messageEvents) {
        connection.on(event, (...args: unknown[]) => this.emit(event, ...args));
      }
      connection.on('error', () => {}); // it reconnects and resubscribes on its own
      this.connections[side] = connection;
    }
    return connection;
  }
}
