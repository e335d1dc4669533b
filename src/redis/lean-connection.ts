import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import type { Command, Reply } from './port.js';
import { encodeCommands, ReplyReader } from './resp.js';

/** Where and how the lean connection reaches its server: what the ioredis client was opened with. */
export interface LeanAddress {
  host: string;
  port: number;
  tls?: ConnectionOptions | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

interface Batch {
  count: number;
  replies: Reply[];
  resolve(replies: Reply[]): void;
  reject(error: Error): void;
}

/**
 * A second connection to one server for big pipelines of small commands, which ElastiCache Serverless needs (one
 * call per slot): ioredis spends ~10 µs of client CPU building, tracking and resolving each command; this encodes a
 * whole pipeline into one buffer and decodes replies in a tight loop, a small fraction of that. Pipelines are
 * answered in order. A lost connection fails what is in flight (the caller's batch retry takes over) and the next
 * pipeline connects again.
 */
export class LeanConnection {
  private socket: Socket | undefined;
  private ready: Promise<void> | undefined;
  private readonly reader = new ReplyReader();
  private readonly inFlight: Batch[] = [];
  private closed = false;

  constructor(private readonly address: LeanAddress) {}

  async exec(commands: Command[]): Promise<Reply[]> {
    if (commands.length === 0) return [];
    await this.connect();
    const socket = this.socket!;
    return new Promise<Reply[]>((resolve, reject) => {
      this.inFlight.push({ count: commands.length, replies: [], resolve, reject });
      socket.write(encodeCommands(commands));
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('Connection is closed.'));
    this.ready ??= new Promise<void>((resolve, reject) => {
      const { host, port, tls } = this.address;
      const socket = tls ? connectTls({ host, port, ...tls }) : connectTcp({ host, port });
      socket.setNoDelay(true);
      this.socket = socket;
      this.reader.reset();
      const connectedOn = tls ? 'secureConnect' : 'connect';
      socket.once(connectedOn, () => {
        const { username, password } = this.address;
        if (!password) return resolve();
        // AUTH is the first reply owed: a refusal fails the connection like a network error would.
        const auth = username ? [username, password] : [password];
        this.inFlight.push({
          count: 1,
          replies: [],
          resolve: ([reply]) => (reply instanceof Error ? socket.destroy(reply) : resolve()),
          reject,
        });
        socket.write(encodeCommands([{ name: 'AUTH', args: auth }]));
      });
      socket.on('data', (chunk: Buffer) => this.deliver(this.reader.read(chunk)));
      socket.on('error', (error) => this.fail(socket, error, reject));
      socket.once('close', () => this.fail(socket, new Error('Connection is closed.'), reject));
    });
    return this.ready;
  }

  private deliver(replies: Reply[]): void {
    for (const reply of replies) {
      const batch = this.inFlight[0];
      if (!batch) return;
      batch.replies.push(reply);
      if (batch.replies.length === batch.count) {
        this.inFlight.shift();
        batch.resolve(batch.replies);
      }
    }
  }

  /** Fails everything in flight on a connection that is gone; the next exec connects again. */
  private fail(socket: Socket, error: Error, rejectConnect: (error: Error) => void): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.ready = undefined;
    socket.destroy();
    rejectConnect(error);
    for (const batch of this.inFlight.splice(0)) batch.reject(error);
  }
}
