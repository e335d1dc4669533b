/** Clusters of one engine: three masters (local processes or containers, see ClusterNodes), or one node holding every slot. */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import {
  type EngineBinaries,
  type EngineName,
  productOf,
  type RunningEngine,
  requireEngine,
} from './engines.js';
import { freePorts } from './ports.js';
import { type ContainerServer, startContainerEngine } from './redis-container.js';
import { startProcessServer } from './redis-process.js';
import { track, untrack } from './registry.js';
import type { TestCluster, TestServer } from './types.js';

const MASTERS = 3;
const ALL_SLOTS = 16384;
const READY_TIMEOUT_MS = 20_000;

/** How one world starts cluster nodes and runs the engine's cli on them. */
export interface ClusterNodes {
  start(port: number, args: string[]): Promise<TestServer>;
  /** Runs `<product>-cli ...args` where it reaches the nodes (its exit must say whether it worked). */
  cli(args: string[]): Promise<unknown>;
}

/** A cluster of local `engine` processes, created with its cli. */
export function startProcessCluster(engine: EngineName, binaries: EngineBinaries): Promise<TestCluster> {
  return startClusterOf({
    start: (port, args) => startProcessServer({ binary: binaries.server, engine, port, args }),
    cli: (args) => promisify(execFile)(binaries.cli, args, { timeout: 30_000 }),
  });
}

/** A cluster of `engine` containers (e.g. 'valkey-8.1'), created with the cli in the first one. */
export function startContainerCluster(engine: EngineName): Promise<TestCluster> {
  const nodes: ContainerServer[] = [];
  return startClusterOf({
    async start(port, args) {
      const node = await startContainerEngine(engine, args, { port });
      nodes.push(node);
      return node;
    },
    cli: (args) => nodes[0]!.exec([`${productOf(engine)}-cli`, ...args]),
  });
}

async function startClusterOf(world: ClusterNodes): Promise<TestCluster> {
  // The cluster bus defaults to port+10000, which overflows 65535 for OS-assigned ports (32768+),
  // so each node also gets an explicit --cluster-port.
  const ports = await freePorts(MASTERS * 2);
  const started = await Promise.allSettled(
    Array.from({ length: MASTERS }, (_, i) => {
      const port = ports[i]!;
      return world.start(port, [
        ...['--cluster-enabled', 'yes', '--cluster-port', String(ports[MASTERS + i])],
        // Relative to the node's --dir, which outlives restart(), so the node finds its identity again.
        ...['--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'],
      ]);
    }),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cluster = new NodesCluster(nodes);
  try {
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    const addresses = nodes.map((node) => `${node.host}:${node.port}`);
    await world.cli(['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(nodes);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class NodesCluster implements TestCluster {
  readonly url: string;
  private readonly clients = new Set<Cluster>();
  private stopped = false;

  constructor(readonly nodes: readonly TestServer[]) {
    this.url = nodes[0]?.url ?? '';
    track(this);
  }

  /** What the nodes run (all started from one engine); read only of a cluster that started. */
  get engine(): RunningEngine {
    return this.nodes[0]!.engine;
  }

  client(options: ClusterOptions = {}): Cluster {
    const seeds = this.nodes.map((node) => ({ host: node.host, port: node.port }));
    const client = new Cluster(seeds, options);
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    untrack(this);
    for (const client of this.clients) client.disconnect();
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  killNow(): void {
    // The nodes are tracked on their own and killed by their own hooks.
  }
}

/**
 * `redis-cli --cluster create` returns once slots are assigned, but nodes learn about each other over
 * the bus a moment later; a client connecting before that sees CLUSTERDOWN or an incomplete slot map.
 */
async function waitForClusterOk(nodes: readonly TestServer[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const clients = nodes.map((node) => node.client({ lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((client) => client.cluster('INFO')));
      const lastInfo = infos.map(String);
      if (lastInfo.every((info) => isComplete(info, nodes.length))) return;
      if (Date.now() > deadline) throw new Error(`cluster not ready:\n${lastInfo.join('\n')}`);
      await sleep(100);
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}

function isComplete(info: string, nodeCount: number): boolean {
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
  return (
    field('cluster_state') === 'ok' &&
    field('cluster_slots_assigned') === String(ALL_SLOTS) &&
    field('cluster_slots_ok') === String(ALL_SLOTS) &&
    field('cluster_known_nodes') === String(nodeCount)
  );
}

/**
 * One cluster-mode server holding all 16,384 slots: the cluster protocol with a single node, as ElastiCache
 * Serverless shows itself (test/support/serverless-endpoint.ts puts one behind its front).
 */
export async function startOneNodeCluster(
  engine: EngineName,
  args: readonly string[] = [],
): Promise<TestServer> {
  const [busPort] = await freePorts(1);
  const server = await startProcessServer({
    binary: requireEngine(engine).server,
    engine,
    args: [
      ...[
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPort),
        '--cluster-config-file',
        'nodes.conf',
      ],
      // A node that never met another does not know its own address: CLUSTER SLOTS would name no host.
      ...['--cluster-announce-ip', '127.0.0.1'],
      ...args,
    ],
  });
  const client = server.client();
  try {
    await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', String(ALL_SLOTS - 1));
    await waitForClusterOk([server]);
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.disconnect();
  }
}
