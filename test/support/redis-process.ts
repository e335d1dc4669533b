/** A TestServer backed by a local redis-server (or valkey-server) child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis, RedisOptions } from 'ioredis';
import { Connections } from './connections.js';
import { type EngineName, identifyEngine } from './engines.js';
import { startOnFreePort } from './ports.js';
import { waitUntilReady } from './ready.js';
import { track, untrack } from './registry.js';
import type { TestServer } from './types.js';

export interface ProcessServerOptions {
  /** The server binary of `engine`. */
  binary: string;
  engine: EngineName;
  /** Extra server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: readonly string[];
  /** Fixed port (cluster nodes); otherwise a free one is chosen, retrying if it gets taken. */
  port?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 3_000;

export function startProcessServer(options: ProcessServerOptions): Promise<TestServer> {
  return startOnFreePort(options.port, (port) => new ProcessServer(options, port));
}

class ProcessServer implements TestServer {
  readonly host = HOST;
  readonly engine: TestServer['engine'];
  readonly url: string;
  private readonly dir = mkdtempSync(join(tmpdir(), 'migrate-test-redis-'));
  private readonly args: string[];
  private readonly connections: Connections;
  private child: ChildProcess | undefined;
  private stderr = '';
  private stopped = false;

  constructor(
    private readonly options: ProcessServerOptions,
    readonly port: number,
  ) {
    this.engine = identifyEngine(options.engine, options.binary);
    const extra = options.args ?? [];
    this.connections = new Connections(HOST, port, extra);
    this.url = this.connections.url;
    // No persistence: tests must not leave dump files behind, and restart() means "lost everything".
    this.args = [
      ...['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
      ...['--enable-debug-command', 'yes', '--dir', this.dir, '--logfile', this.logFile],
      ...extra,
    ];
    track(this);
  }

  private get logFile(): string {
    return join(this.dir, 'server.log');
  }

  async start(): Promise<void> {
    this.stderr = '';
    const child = spawn(this.options.binary, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    // Config errors are printed to stderr before the log file is opened; keep the tail for messages.
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2_000);
    });
    child.once('error', (error) => {
      this.stderr += String(error);
    });
    await waitUntilReady(HOST, this.port, () => (isRunning(child) ? undefined : this.diagnostics()));
  }

  client(options: RedisOptions = {}): Redis {
    return this.connections.open(options);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !isRunning(child)) return;
    const exits = once(child, 'exit');
    child.kill(signal);
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT' && signal !== 'SIGTSTP') await exits;
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
    if (this.child) await terminate(this.child);
    await rm(this.dir, { recursive: true, force: true });
  }

  killNow(): void {
    if (this.child && isRunning(this.child)) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private diagnostics(): string {
    let log = '';
    try {
      log = readFileSync(this.logFile, 'utf8').slice(-2_000);
    } catch {
      // the server died before opening its log
    }
    return `${this.options.binary} exited (${this.child?.exitCode ?? this.child?.signalCode}).\n${this.stderr}${log}`;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM (after SIGCONT, in case a test froze it), then SIGKILL if it lingers. */
async function terminate(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exits = once(child, 'exit');
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const exitedInTime = await Promise.race([exits.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (!exitedInTime) {
    child.kill('SIGKILL');
    await exits;
  }
}
