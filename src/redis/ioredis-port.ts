import { isAscii } from 'node:buffer';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { keyRulesOf } from './key-rules.js';
import { LeanConnection } from './lean-connection.js';
import type { Arg, Command, PortStats, RedisPort, Reply, Topology } from './port.js';
import { applyReconnectPolicy, boundedReconnect, type ReconnectPolicy } from './reconnect.js';

const redirectError = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;

/** RedisPort over an ioredis client: one pipeline per batch, or per master for a cluster. */
export class IoredisPort implements RedisPort {
  readonly stats: PortStats = { commands: 0 };
  readonly topology: Topology;
  private closing: Promise<void> | undefined;
  /** Lean connections by master, for servers that take one call per slot (see `pipeline`). */
  private readonly leans = new Map<string, LeanConnection>();

  constructor(
    readonly client: Redis | Cluster,
    readonly label: string,
    readonly upstash: boolean,
    /** How the connected client rides out a lost connection; the port applies it. */
    private readonly reconnect: ReconnectPolicy = boundedReconnect,
  ) {
    this.topology = client instanceof Cluster ? 'cluster' : 'standalone';
    applyReconnectPolicy(client, reconnect);
  }

  nodes(): string[] {
    if (!(this.client instanceof Cluster)) return ['main'];
    return this.client.nodes('master').map(nodeId);
  }

  nodeOf(key: Buffer | string): string {
    if (!(this.client instanceof Cluster)) return 'main';
    return this.client.slots[calculateSlot(key)]?.[0] ?? this.nodes()[0] ?? '';
  }

  async exec(commands: Command[], node?: string): Promise<Reply[]> {
    if (commands.length === 0) return [];
    this.stats.commands += commands.length;
    const client = this.client;
    if (!(client instanceof Cluster)) return runPipeline(client, commands);

    // Group by owning master so each group is one pipeline; keyless commands go to the named node.
    const masters = new Map(client.nodes('master').map((master) => [nodeId(master), master]));
    const fallback = node ?? masters.keys().next().value ?? '';
    const groups = new Map<string, number[]>();
    commands.forEach((command, index) => {
      const owner = command.key === undefined ? fallback : this.nodeOf(command.key);
      const list = groups.get(owner) ?? [];
      list.push(index);
      groups.set(owner, list);
    });
    const replies: Reply[] = new Array(commands.length);
    await Promise.all(
      [...groups].map(async ([owner, indexes]) => {
        const target = masters.get(owner);
        const batch = indexes.map((i) => commands[i]!);
        const results = target
          ? await this.pipeline(owner, target, batch)
          : batch.map(() => new Error('CLUSTERDOWN no node'));
        // Slots moved (resharding, failover): resend alone through the cluster client, which follows redirects.
        // Only those wait (a promise per reply would cost a batch of a call per key more than its replies do).
        const resent: Array<Promise<void>> = [];
        results.forEach((reply, j) => {
          const command = batch[j]!;
          const index = indexes[j]!;
          if (reply instanceof Error && redirectError.test(reply.message) && command.key !== undefined) {
            resent.push(
              (client.callBuffer(command.name, ...command.args) as Promise<Reply>).then(
                (answer) => {
                  replies[index] = answer;
                },
                (error: Error) => {
                  replies[index] = error;
                },
              ),
            );
          } else replies[index] = reply;
        });
        await Promise.all(resent);
      }),
    );
    return replies;
  }

  /**
   * One master's share of a pipeline. Where the server takes one call per slot (ElastiCache Serverless), a batch is
   * a command per key, and ioredis's cost per command would dominate: such pipelines go through a lean connection.
   */
  private pipeline(owner: string, node: Redis, batch: Command[]): Promise<Reply[]> {
    if (keyRulesOf(this) !== 'by-slot') return runPipeline(node, batch);
    let lean = this.leans.get(owner);
    if (!lean) {
      const { host, port, tls, username, password } = node.options;
      lean = new LeanConnection({ host: host ?? '127.0.0.1', port: port ?? 6379, tls, username, password });
      this.leans.set(owner, lean);
    }
    return lean.exec(batch);
  }

  keepReconnecting(): void {
    applyReconnectPolicy(this.client, { ...this.reconnect, attempts: Number.POSITIVE_INFINITY });
  }

  /** Closes once: later calls return the first call's promise and send nothing. */
  close(): Promise<void> {
    this.closing ??= this.quit();
    return this.closing;
  }

  private async quit(): Promise<void> {
    for (const lean of this.leans.values()) lean.close();
    // QUIT waits for the server; while reconnecting there is none to wait for, and QUIT would queue behind others.
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function nodeId(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/**
 * An argument as ioredis sends it cheapest: it encodes a Buffer at about three times the cost of a string (a batch
 * read's keys were most of a mirror's client CPU), so a short ASCII Buffer (a key, mostly) goes as the same text.
 */
const asSent = (arg: Arg): Arg =>
  Buffer.isBuffer(arg) && arg.length <= 256 && isAscii(arg) ? arg.toString('latin1') : arg;

/**
 * One pipeline's replies, or an error once the connection it was sent on is lost. ioredis holds commands that were
 * in flight at a lost connection until it reconnects, and fails them neither then nor on `maxRetriesPerRequest`
 * (connect.ts turns the resend off, so they would never settle): a batch would wait out the whole outage, and a
 * stopping sync with it. Commands still waiting for a connection are failed by `maxRetriesPerRequest` as usual.
 */
async function runPipeline(client: Redis, commands: Command[]): Promise<Reply[]> {
  const pipeline = client.pipeline();
  for (const command of commands) pipeline.callBuffer(command.name, ...command.args.map(asSent));
  const replies = pipeline.exec();
  let fail = (_: Error) => {};
  const lost = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const untrack = lossWatchOf(client).track(fail);
  try {
    const results = (await Promise.race([replies, lost])) ?? [];
    return results.map(([error, reply]) => (error ? error : (reply as Reply)));
  } finally {
    untrack();
    replies.catch(() => {}); // settled late or never; its loss was reported
  }
}

/**
 * The pipelines in flight on one ioredis client, failed together when its connection is lost: one pair of listeners
 * per client, whatever the number of pipelines (a listener per pipeline trips Node's leak warning past ten).
 * A pipeline sent while the client is not ready waits in ioredis's offline queue (failed there by
 * `maxRetriesPerRequest`); it is watched from the next `ready`, when ioredis sends it.
 */
class LossWatch {
  private readonly sent = new Set<(error: Error) => void>();
  private readonly queued = new Set<(error: Error) => void>();

  constructor(private readonly client: Redis) {
    client.on('ready', () => {
      for (const fail of this.queued) this.sent.add(fail);
      this.queued.clear();
    });
    client.on('close', () => {
      const lost = [...this.sent];
      this.sent.clear();
      for (const fail of lost) fail(new Error('Connection is closed (lost while the command ran)'));
    });
  }

  track(fail: (error: Error) => void): () => void {
    (this.client.status === 'ready' ? this.sent : this.queued).add(fail);
    return () => {
      this.sent.delete(fail);
      this.queued.delete(fail);
    };
  }
}

const lossWatches = new WeakMap<Redis, LossWatch>();

function lossWatchOf(client: Redis): LossWatch {
  let watch = lossWatches.get(client);
  if (!watch) {
    watch = new LossWatch(client);
    lossWatches.set(client, watch);
  }
  return watch;
}
