import { repairSetKey } from '../control/names.js';
import { cmd, type RedisPort } from '../redis/port.js';

/** Members per SADD: far below the 3,999 arguments a request may carry. */
const membersPerCall = 1000;
const retryMs = 1000;

/**
 * Keys the client could not mirror (tries exhausted, or no room in the queue) go to the set `__migrate:repair` on
 * the target, where `migrate sync`, `verify --repair` and the rollback catch-up copy them again. While the target
 * cannot be written, they wait here (bounded) and are retried; past the bound they are counted as lost, never
 * dropped silently: the heartbeat reports both, and the cutover gate refuses to move on while either is non-zero.
 */
export class RepairLog {
  /** Keys written to the repair set. */
  recorded = 0;
  /** Keys that found no room here while the target could not be written. */
  lost = 0;
  private readonly pending = new Map<string, Buffer>();
  private flushing: Promise<void> = Promise.resolve();
  private running = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly target: RedisPort,
    private readonly limit = 100_000,
  ) {}

  /** Keys not yet written to the repair set. */
  get unrecorded(): number {
    return this.pending.size;
  }

  add(keys: readonly Buffer[]): void {
    for (const key of keys) {
      const id = key.toString('latin1');
      if (this.pending.has(id)) continue;
      if (this.pending.size >= this.limit) this.lost++;
      else this.pending.set(id, key);
    }
    this.kick();
  }

  /** Resolves once the keys added so far were written, or a write failed (they stay pending). */
  async settled(): Promise<void> {
    await this.flushing;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
  }

  private kick(): void {
    if (this.running || this.closed || this.pending.size === 0) return;
    this.running = true;
    this.flushing = this.flush().finally(() => {
      this.running = false;
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.size > 0 && !this.closed) {
        const batch = [...this.pending].slice(0, membersPerCall);
        const [reply] = await this.target.exec([
          cmd('SADD', [repairSetKey, ...batch.map(([, key]) => key)], repairSetKey),
        ]);
        if (reply instanceof Error) throw reply;
        for (const [id] of batch) this.pending.delete(id);
        this.recorded += batch.length;
      }
    } catch {
      if (!this.closed) this.retry = setTimeout(() => this.kick(), retryMs);
    }
  }
}
