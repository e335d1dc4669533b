/** Redis Clusters made of local server processes of one engine: three masters, or one holding every slot. */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import {
  type EngineBinaries,
  type EngineName,
  identifyEngine,
  type RunningEngine,
  requireEngine,
} from './engines.js';
import { freePorts } from './ports.js';
import { startProcessServer } from './redis-process.js';
import { track, untrack } from './registry.js';
import type { TestCluster, TestServer } from './types.js';

const MASTERS = 3;
const ALL_SLOTS = 16384;
const READY_TIMEOUT_MS = 20_000;

export async function startProcessCluster(
  engine: EngineName,
  binaries: EngineBinaries,
): Promise<TestCluster> {
  // The cluster bus defaults to port+10000, which overflows 65535 for OS-assigned ports (32768+),
  // so each node also gets an explicit --cluster-port.
  const ports = await freePorts(MASTERS * 2);
  const started = await Promise.allSettled(
    Array.from({ length: MASTERS }, (_, i) => {
      const port = ports[i]!;
      return startProcessServer({
        binary: binaries.server,
        engine,
        port,
        args: [
          ...['--cluster-enabled', 'yes', '--cluster-port', String(ports[MASTERS + i])],
          // Relative to --dir (the node's temp dir), so restart() finds its identity again.
          ...['--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'],
        ],
      });
    }),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cluster = new ProcessCluster(nodes, engine, binaries);
  try {
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    const addresses = nodes.map((node) => `${node.host}:${node.port}`);
    const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'];
    await promisify(execFile)(binaries.cli, args, { timeout: 30_000 });
    await waitForClusterOk(nodes);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class ProcessCluster implements TestCluster {
  readonly url: string;
  readonly engine: RunningEngine;
  private readonly clients = new Set<Cluster>();
  private stopped = false;

  constructor(
    readonly nodes: readonly TestServer[],
    engine: EngineName,
    binaries: EngineBinaries,
  ) {
    this.url = nodes[0]?.url ?? '';
    this.engine = identifyEngine(engine, binaries.server);
    track(this);
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
