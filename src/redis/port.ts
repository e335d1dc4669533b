/** The narrow interface every engine talks to; adapters: ioredis standalone, ioredis cluster, Upstash REST. */

export type Arg = string | Buffer | number;

export interface Command {
  /** Upper-case command name (raw replies; no client-side reply transformers). */
  name: string;
  args: Arg[];
  /** The key a cluster routes this command by; keyless commands go to the `node` given to exec. */
  key?: Buffer | string;
}

/** A raw reply. Per-command failures come back as `Error` values, so one bad key never fails a batch. */
export type Reply = Buffer | number | null | Reply[] | Error;

export type Topology = 'standalone' | 'cluster';

export interface PortStats {
  /** Commands sent, counted as Upstash bills them: one per command, each pipeline entry counted. */
  commands: number;
}

export interface RedisPort {
  /** Redacted address, safe to print. */
  readonly label: string;
  readonly topology: Topology;
  /** True when the server is Upstash (by host name or by what the server answers). */
  readonly upstash: boolean;
  readonly stats: PortStats;
  /** Node ids of the masters: one for a standalone server. SCAN and node-wide commands name one. */
  nodes(): string[];
  /** The node id of the master that owns `key` (the only node for a standalone server). */
  nodeOf(key: Buffer | string): string;
  /**
   * Runs commands in as few round trips as possible (one pipeline per node) and returns replies in order.
   * Commands are routed by `key`; keyless commands go to `node` (default: the first node).
   */
  exec(commands: Command[], node?: string): Promise<Reply[]>;
  /**
   * From now on, retry a lost connection for as long as the port is open, instead of closing for good after the
   * policy it was opened with: for long-running work whose failures wait in a retry queue (sync).
   */
  keepReconnecting(): void;
  /** Closes the port once: a second call returns the first call's promise and sends nothing. */
  close(): Promise<void>;
}

export const cmd = (name: string, args: Arg[], key?: Buffer | string): Command =>
  key === undefined ? { name, args } : { name, args, key };

/** The reply of a single command, throwing a per-command error. */
export async function call(port: RedisPort, command: Command, node?: string): Promise<Reply> {
  const [reply] = await port.exec([command], node);
  if (reply instanceof Error) throw reply;
  return reply ?? null;
}

export const asText = (reply: Reply | undefined): string =>
  Buffer.isBuffer(reply)
    ? reply.toString('utf8')
    : reply == null || reply instanceof Error
      ? ''
      : String(reply);

export const asNumber = (reply: Reply | undefined): number =>
  typeof reply === 'number' ? reply : Buffer.isBuffer(reply) ? Number(reply.toString()) : Number.NaN;

export const asArray = (reply: Reply | undefined): Reply[] => (Array.isArray(reply) ? reply : []);
