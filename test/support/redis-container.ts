/**
 * A TestServer in a container of a locally built engine image (scripts/test-world.sh), on the host's network: no
 * bridge is needed, and the server listens on a free host port as a local process would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';
import { Connections } from './connections.js';
import { docker, imageExists, RUN_LABEL, runId } from './docker.js';
import { engineImage } from './engine-image.js';
import { type EngineName, productOf, type RunningEngine } from './engines.js';
import { startOnFreePort } from './ports.js';
import { waitUntilReady } from './ready.js';
import { track, untrack } from './registry.js';
import type { TestServer } from './types.js';
import { testWorld } from './world.js';

type DockerContainer = ReturnType<Awaited<ReturnType<typeof docker>>['container']['getById']>;

const HOST = '127.0.0.1';
const FREEZING = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGCONT', 'SIGTSTP']);

const built = new Map<EngineName, Promise<boolean>>();

/** Whether `engine` (e.g. 'valkey-8.1') runs in a container: the container world, and its image was built. */
export async function inContainer(engine: EngineName): Promise<boolean> {
  if ((await testWorld()) !== 'containers') return false;
  // Asked once per engine and test process: images are built before a run, not during it.
  if (!built.has(engine)) built.set(engine, imageExists(engineImage(engine)));
  return built.get(engine)!;
}

/**
 * Starts `engine` (e.g. 'redis-7.0', 'valkey-8.1') in a container, with the same defaults as a local process: no
 * persistence, DEBUG allowed. Absolute paths in `args` (TLS certificates, say) are visible at the same path inside.
 */
export function startContainerEngine(
  engine: EngineName,
  args: readonly string[] = [],
  options: { port?: number } = {},
): Promise<ContainerServer> {
  return startOnFreePort(options.port, (port) => ContainerServer.create(engine, port, args));
}

export class ContainerServer implements TestServer {
  readonly host = HOST;
  readonly url: string;
  /** Its version is what the server reports once started (the image may hold other binaries than the host's). */
  engine: RunningEngine;
  private readonly connections: Connections;
  private stopped = false;

  static async create(engine: EngineName, port: number, args: readonly string[]): Promise<ContainerServer> {
    const binary = `${productOf(engine)}-server`;
    const command = [
      ...[binary, '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
      ...['--enable-debug-command', 'yes', '--dir', '/tmp'],
      ...args,
    ];
    const runtime = await docker();
    const container = await runtime.container.create({
      Image: engineImage(engine),
      Cmd: command,
      Labels: { [RUN_LABEL]: runId() },
      // A terminal: the logs come back as plain text, for the message when the server does not start.
      Tty: true,
      HostConfig: { NetworkMode: 'host', Binds: bindMounts(args) },
    });
    return new ContainerServer(container, engine, port, args);
  }

  private constructor(
    private readonly container: DockerContainer,
    engine: EngineName,
    readonly port: number,
    args: readonly string[],
  ) {
    this.engine = { name: engine, product: productOf(engine), version: 'unknown' };
    this.connections = new Connections(HOST, port, args);
    this.url = this.connections.url;
    track(this);
  }

  async start(): Promise<void> {
    await this.container.start();
    let exitCode: number | undefined;
    this.container.wait().then(
      (result: { StatusCode: number }) => {
        exitCode = result.StatusCode;
      },
      () => undefined,
    );
    try {
      await waitUntilReady(HOST, this.port, () =>
        exitCode === undefined ? undefined : `exited (${exitCode})`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.logs()}`);
    }
    if (this.engine.version === 'unknown') this.engine = { ...this.engine, version: await this.version() };
  }

  /** The container's id, as Docker lists it. */
  get id(): string {
    return this.container.id;
  }

  client(options: RedisOptions = {}): Redis {
    return this.connections.open(options);
  }

  /** Runs a command in the container, e.g. the engine's cli; throws with its output unless it succeeds. */
  async exec(command: string[]): Promise<string> {
    const result = await (await docker()).container.exec(this.container, command);
    if (result.exitCode !== 0)
      throw new Error(`${command.join(' ')} failed (${result.exitCode}): ${result.output}`);
    return result.output;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!(await this.running())) return;
    await this.container.kill({ signal });
    if (!FREEZING.has(signal)) await this.container.wait();
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('restart() after stop()');
    await this.kill('SIGKILL');
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    untrack(this);
    this.connections.closeAll();
    // Nothing of a test server is worth a graceful shutdown: no persistence.
    await this.container.remove({ force: true }).catch(ignoreMissing);
  }

  killNow(): void {
    // Best effort while the process ends; global-setup.ts removes whatever a run leaves.
    spawnSync('docker', ['rm', '-f', this.container.id], { stdio: 'ignore', timeout: 5_000 });
  }

  private async running(): Promise<boolean> {
    const info = await this.container.inspect();
    return info.State.Running;
  }

  /** The version the server reports, e.g. valkey_version:8.1.1 (Valkey also reports a redis_version: 7.2.4). */
  private async version(): Promise<string> {
    const client = this.connections.open();
    try {
      const info = await client.info('server');
      return new RegExp(`^${this.engine.product}_version:(\\S+)`, 'm').exec(info)?.[1] ?? 'unknown';
    } finally {
      client.disconnect();
    }
  }

  private async logs(): Promise<string> {
    const log = await this.container.logs({ stdout: true, stderr: true, follow: false, tail: 40 });
    return String(log);
  }
}

/** Each absolute path among the arguments, bound at the same path (its folder, for a file). */
function bindMounts(args: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const arg of args) {
    if (!arg.startsWith('/') || !existsSync(arg)) continue;
    folders.add(statSync(arg).isDirectory() ? arg : dirname(arg));
  }
  return [...folders].map((folder) => `${folder}:${folder}`);
}

function ignoreMissing(error: { statusCode?: number }): void {
  if (error.statusCode !== 404) throw error;
}
