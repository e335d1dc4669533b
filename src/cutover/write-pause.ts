/**
 * `--fence`: the old primary's writes paused by the server itself (CLIENT PAUSE <ms> WRITE on every master). The
 * pause is a lease, renewed while the switch runs, so a killed run leaves it at most `leaseMs`; every way out
 * lifts it (CLIENT UNPAUSE). Reads, and read-only scripts, go on during the pause.
 *
 * After the switch the pause is held until the application has left the old primary (`holdForApplication`): writes
 * it sent meanwhile are held by the server, and would run on the old primary once the pause lifts, acknowledged
 * to the application but never carried to the new one. An application that reconnects elsewhere closes its old
 * connections, and what they held is never run (nor acknowledged).
 */
import { ExitCode, MigrateError, messageOf } from '../errors.js';
import { toolConnectionName } from '../redis/connect.js';
import { asText, cmd, type RedisPort } from '../redis/port.js';
import { sleep } from '../retry.js';

/** What holding the pause for the application found. */
export interface ApplicationHold {
  /** From the switch to the lift. */
  heldMs: number;
  /** Connections other than this tool's still on the old primary when the hold ended (0: the application left). */
  connectionsLeft: number;
}

export class WritePause {
  readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private lifted: Promise<void> | undefined;
  /** Nodes that accepted a pause: only they are sent UNPAUSE (a server that refused the pause is asked nothing more). */
  private readonly paused = new Set<string>();

  private constructor(
    private readonly port: RedisPort,
    private readonly leaseMs: number,
  ) {
    this.timer = setInterval(() => void this.pauseAll().catch(() => {}), Math.max(100, leaseMs / 3));
    this.timer.unref();
  }

  /** Pauses writes on every master; a server that refuses is a clear refusal (exit 2), with nothing left paused. */
  static async start(port: RedisPort, leaseMs: number): Promise<WritePause> {
    const pause = new WritePause(port, leaseMs);
    try {
      await pause.pauseAll();
    } catch (error) {
      await pause.lift();
      throw refusal(port, error);
    }
    return pause;
  }

  /** Asks for a 1 ms pause: a server that refuses says so before anything is written (exit 2). */
  static async check(port: RedisPort): Promise<void> {
    const pause = await WritePause.start(port, 1);
    await pause.lift();
  }

  private async pauseAll(): Promise<void> {
    // One node after another: a refusal from the first leaves nothing paused elsewhere.
    for (const node of this.port.nodes()) {
      // A renewal must not follow the lift (its PAUSE would land after the UNPAUSE and hold writes a lease more).
      if (this.lifted) return;
      const [reply] = await this.port.exec([cmd('CLIENT', ['PAUSE', this.leaseMs, 'WRITE'])], node);
      if (reply instanceof Error) throw reply;
      this.paused.add(node);
    }
  }

  /**
   * Keeps the pause until no connection but this tool's is left on a paused node (the application moved), until
   * `holdMs` has passed, or until the run is interrupted; returns how long it held and how many connections were left.
   */
  async holdForApplication(holdMs: number, pollMs: number, signal?: AbortSignal): Promise<ApplicationHold> {
    const started = Date.now();
    let left = await this.applicationConnections();
    while (left > 0 && Date.now() - started < holdMs && !signal?.aborted) {
      await sleep(pollMs, signal);
      left = await this.applicationConnections();
    }
    return { heldMs: Date.now() - started, connectionsLeft: left };
  }

  /** Normal connections on the paused nodes not named as this tool's (unreadable: counted as one). */
  private async applicationConnections(): Promise<number> {
    let count = 0;
    for (const node of this.paused) {
      const [reply] = await this.port.exec([cmd('CLIENT', ['LIST', 'TYPE', 'normal'])], node);
      if (reply instanceof Error) return 1;
      count += asText(reply)
        .split('\n')
        .filter((line) => line.startsWith('id=') && !line.includes(` name=${toolConnectionName} `)).length;
    }
    return count;
  }

  /** Lifts the pause on every master that took it (once; later calls wait for the same lift). */
  lift(): Promise<void> {
    clearInterval(this.timer);
    this.lifted ??= Promise.all(
      [...this.paused].map((node) => this.port.exec([cmd('CLIENT', ['UNPAUSE'])], node).catch(() => [])),
    ).then(() => undefined);
    return this.lifted;
  }
}

const refusal = (port: RedisPort, error: unknown) =>
  new MigrateError(`${port.label} refuses CLIENT PAUSE … WRITE: ${messageOf(error)}`, {
    code: ExitCode.usage,
    hint: 'stop the application’s writes yourself and run the window without --fence (it waits for quiet)',
    cause: error,
  });
