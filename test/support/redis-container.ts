/** A TestServer backed by a testcontainers container (used only when a Docker engine answers). */
import { Redis, type RedisOptions } from 'ioredis';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { freePorts } from './ports.js';
import { waitUntilReady } from './ready.js';
import { track, untrack } from './registry.js';
import type { TestServer } from './types.js';

export interface ContainerServerOptions {
  image: string;
  binary: 'redis-server' | 'valkey-server';
  engine: TestServer['engine'];
  args?: readonly string[];
  /** A Docker network the container joins under `alias`, for other containers to reach it. */
  network?: { network: StartedNetwork; alias: string };
}

export async function startContainerServer(options: ContainerServerOptions): Promise<TestServer> {
  // Loaded lazily: the processes world should not pay for (or depend on) testcontainers.
  const { GenericContainer, Wait } = await import('testcontainers');
  // A fixed host port, so restart() keeps it (Docker may remap a random binding on restart).
  const [hostPort] = await freePorts(1);
  const command = [
    ...[options.binary, '--save', '', '--appendonly', 'no'],
    // The container is reached through Docker's port mapping, not loopback, so protected mode is off.
    ...['--enable-debug-command', 'yes', '--protected-mode', 'no'],
    ...(options.args ?? []),
  ];
  let image = new GenericContainer(options.image);
  if (options.network)
    image = image.withNetwork(options.network.network).withNetworkAliases(options.network.alias);
  const container = await image
    .withCommand(command)
    .withExposedPorts({ container: 6379, host: hostPort! })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return new ContainerServer(container, options.engine);
}

class ContainerServer implements TestServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  private readonly clients = new Set<Redis>();
  private stopped = false;

  constructor(
    private readonly container: StartedTestContainer,
    readonly engine: TestServer['engine'],
  ) {
    this.host = container.getHost();
    this.port = container.getMappedPort(6379);
    this.url = `redis://${this.host}:${this.port}`;
    track(this);
  }

  client(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: this.host, port: this.port, ...options });
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const runtime = await getContainerRuntimeClient();
    await runtime.container.getById(this.container.getId()).kill({ signal });
  }

  async restart(): Promise<void> {
    await this.container.restart();
    // The log wait strategy may match the previous run's line; wait for a real answer.
    await waitUntilReady(this.host, this.port);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    untrack(this);
    for (const client of this.clients) client.disconnect();
    await this.container.stop();
  }

  killNow(): void {
    // Nothing synchronous is possible here; testcontainers' reaper (Ryuk) removes the container.
  }
}
