/**
 * An endpoint that keeps ElastiCache Serverless's rules, for tests and benchmarks: a TLS front (a private CA, given
 * to the tool with --tls-ca) before a one-node cluster-mode server that holds all 16,384 slots and announces the
 * front's address, so CLUSTER SLOTS/SHARDS/NODES send clients back to the front — one endpoint, cluster protocol,
 * as Serverless shows itself. The front refuses what Serverless refuses (src: ./serverless-rules.ts) and counts it.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { startOneNodeCluster } from './cluster.js';
import { type EngineName, resolveEngine } from './engines.js';
import { track, untrack } from './registry.js';
import { FrontTally, RulesProxyConnection, type SeenRefusal } from './rules-proxy.js';
import type { RefusalKind } from './serverless-rules.js';
import { tempDir } from './temp-dir.js';
import { makeCertificates } from './tls-certs.js';
import type { TestServer } from './types.js';

/** The engines test/support knows by name; the backend runs one of them. */
/** The backend's engine (test/support/engines.ts). */
export type EndpointEngine = EngineName;

export interface ServerlessEndpointOptions {
  /** @default Valkey 8.1 where built (scripts/build-engines.sh), else Redis 7.0, announced (defaultEndpointEngine) */
  engine?: EndpointEngine;
  /** Extra backend arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
}

export interface ServerlessEndpoint {
  /** rediss://127.0.0.1:FRONTPORT */
  readonly url: string;
  /** PEM file of the CA that signed the front's certificate: pass it with --tls-ca. */
  readonly ca: string;
  readonly engine: EndpointEngine;
  /** The cluster-mode server behind the front, reachable directly: seed it, digest it (DEBUG is refused in front). */
  readonly backend: TestServer;
  /** Requests the front has seen. */
  readonly requests: number;
  /** Every request the front refused, in order. */
  readonly refusals: readonly SeenRefusal[];
  refusalCounts(): Partial<Record<RefusalKind, number>>;
  resetCounts(): void;
  stop(): Promise<void>;
}

/** The engine a test gets without asking: Valkey 8.1 when built here, Redis 7.0 otherwise (announced). */
export function defaultEndpointEngine(): EngineName {
  return resolveEngine('valkey-8.1');
}

export async function startServerlessEndpoint(
  options: ServerlessEndpointOptions = {},
): Promise<ServerlessEndpoint> {
  const engine = resolveEngine(options.engine ?? defaultEndpointEngine());
  const dir = tempDir();
  const certs = makeCertificates(dir.path);
  const backend = await startOneNodeCluster(engine, options.args);
  const tally = new FrontTally();
  const sockets = new Set<TLSSocket>();
  const front: Server = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) });
  front.on('secureConnection', (client: TLSSocket) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const upstream = connect({ host: backend.host, port: backend.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    new RulesProxyConnection(client, upstream, tally);
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const frontPort = (front.address() as AddressInfo).port;
  await announce(backend, frontPort);

  let stopped = false;
  const endpoint: ServerlessEndpoint & { killNow(): void } = {
    url: `rediss://127.0.0.1:${frontPort}`,
    ca: certs.ca,
    engine,
    backend,
    get requests() {
      return tally.requests;
    },
    refusals: tally.refusals,
    refusalCounts: () => tally.counts(),
    resetCounts: () => tally.reset(),
    async stop() {
      if (stopped) return;
      stopped = true;
      untrack(endpoint);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => front.close(resolve));
      await backend.stop();
      dir.remove();
    },
    killNow() {
      for (const socket of sockets) socket.destroy();
      front.close();
      dir.remove();
    },
  };
  track(endpoint);
  return endpoint;
}

/** Makes the backend announce the front's port (its IP is 127.0.0.1 already) in CLUSTER SLOTS/SHARDS/NODES. */
async function announce(backend: TestServer, frontPort: number): Promise<void> {
  const client = backend.client();
  try {
    await client.call('CONFIG', 'SET', 'cluster-announce-port', String(frontPort));
    const deadline = Date.now() + 20_000;
    while (!String(await client.call('CLUSTER', 'SLOTS')).includes(String(frontPort))) {
      if (Date.now() > deadline) throw new Error('the endpoint backend never announced the front');
      await sleep(50);
    }
  } finally {
    client.disconnect();
  }
}
