import { join } from 'node:path';
import { usageError } from '../errors.js';
import { displayKey } from '../redis/display.js';
import { readJsonFile, writeDurably } from '../state/durable-file.js';

/** A key whose copy failed, waiting for its next attempt. */
export interface RetryEntry {
  key: Buffer;
  attempts: number;
  /** Local ms of the next attempt; +Infinity while an attempt runs. */
  nextAt: number;
  /** When the change it carries was first seen, for the lag. */
  since: number;
  lastError: string;
}

/** A key that failed --max-retries times: shown by status and the summary, copied again on the next change. */
export interface DeadLetter {
  key: string;
  attempts: number;
  lastError: string;
  at: string;
}

interface StoredEntry {
  key: string;
  attempts: number;
  nextAt: number | null;
  since: number;
  lastError: string;
}

interface StoredQueue {
  version: 1;
  fingerprint: string;
  retry: StoredEntry[];
  dead: Array<DeadLetter & { raw: string }>;
}

export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
}

/** Coalesces bursts of failures (a whole batch at once) into one fsync'd write. */
const persistDelayMs = 100;

/**
 * Keys whose copy failed, retried with exponential backoff and jitter, and the dead-letter list; both kept in one
 * durable file (0600, fsync'd) so a restart picks them up.
 */
export class RetryQueue {
  private readonly entries = new Map<string, RetryEntry>();
  private readonly dead = new Map<string, DeadLetter & { raw: string }>();
  private timer: NodeJS.Timeout | undefined;
  readonly file: string;

  constructor(
    stateDir: string,
    private readonly fingerprint: string,
    private readonly policy: RetryPolicy,
    /** The reverse direction (target to source) keeps its own file. */
    name = 'sync-queue.json',
  ) {
    this.file = join(stateDir, name);
  }

  /** Reloads what a previous run left; refuses a file that belongs to another source, target or --match. */
  load(): number {
    let stored: StoredQueue | undefined;
    try {
      stored = readJsonFile(this.file) as StoredQueue | undefined;
    } catch {
      throw usageError(
        `the sync queue ${this.file} is unreadable`,
        'move it away (keys in it are re-copied by the initial copy)',
      );
    }
    if (!stored) return 0;
    if (stored.fingerprint !== this.fingerprint) {
      throw usageError(
        `the sync state in ${this.file} belongs to another source, target or --match`,
        'pass another --state-dir, or delete that file if the old sync is abandoned',
      );
    }
    const now = Date.now();
    for (const entry of stored.retry) {
      const key = Buffer.from(entry.key, 'base64');
      this.entries.set(key.toString('latin1'), { ...entry, key, nextAt: Math.min(entry.nextAt ?? now, now) });
    }
    for (const letter of stored.dead)
      this.dead.set(Buffer.from(letter.raw, 'base64').toString('latin1'), letter);
    return this.entries.size;
  }

  get size(): number {
    return this.entries.size;
  }

  get deadCount(): number {
    return this.dead.size;
  }

  deadLetters(): DeadLetter[] {
    return [...this.dead.values()].map(({ raw: _raw, ...letter }) => letter);
  }

  /** Raw names of the dead-lettered keys, to give each one more attempt after a restart. */
  deadKeys(): Buffer[] {
    return [...this.dead.values()].map((letter) => Buffer.from(letter.raw, 'base64'));
  }

  /** Entries due now (all of them when `all`), marked as running until succeeded() or failed(). */
  takeDue(now: number, all = false): RetryEntry[] {
    const due: RetryEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.nextAt <= now || (all && Number.isFinite(entry.nextAt))) {
        entry.nextAt = Number.POSITIVE_INFINITY;
        due.push(entry);
      }
    }
    return due;
  }

  /** When the oldest change still queued was seen. */
  oldestSince(): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.entries.values()) oldest = Math.min(oldest ?? entry.since, entry.since);
    return oldest;
  }

  succeeded(key: Buffer): void {
    const id = key.toString('latin1');
    if (this.entries.delete(id) || this.dead.delete(id)) this.schedulePersist();
  }

  /** Records a failed copy: queued for another attempt, or dead-lettered after maxRetries. */
  failed(key: Buffer, since: number, reason: string): 'retry' | 'dead' {
    const id = key.toString('latin1');
    const letter = this.dead.get(id);
    if (letter) {
      // Given one more attempt (a new change, a restart) and failed again: it stays a dead letter.
      letter.attempts++;
      letter.lastError = reason;
      letter.at = new Date().toISOString();
      this.schedulePersist();
      return 'dead';
    }
    const entry = this.entries.get(id) ?? { key, attempts: 0, nextAt: 0, since, lastError: reason };
    entry.attempts++;
    entry.lastError = reason;
    entry.since = Math.min(entry.since, since);
    this.schedulePersist();
    if (entry.attempts >= this.policy.maxRetries) {
      this.entries.delete(id);
      const raw = key.toString('base64');
      this.dead.set(id, {
        key: displayKey(key),
        raw,
        attempts: entry.attempts,
        lastError: reason,
        at: new Date().toISOString(),
      });
      return 'dead';
    }
    const backoff = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** (entry.attempts - 1));
    entry.nextAt = Date.now() + backoff * (0.5 + Math.random() / 2);
    this.entries.set(id, entry);
    return 'retry';
  }

  /**
   * Adds a key to copy without counting an attempt: one a stop could not apply (so it is not forgotten if the next
   * run skips the initial copy), or one taken from the clients' repair set (durable here before it leaves the set).
   */
  park(key: Buffer, since: number, why = 'not applied before stop'): void {
    const id = key.toString('latin1');
    if (!this.entries.has(id)) this.entries.set(id, { key, attempts: 0, nextAt: 0, since, lastError: why });
  }

  private schedulePersist(): void {
    this.timer ??= setTimeout(() => this.persist(), persistDelayMs).unref();
  }

  persist(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stored: StoredQueue = {
      version: 1,
      fingerprint: this.fingerprint,
      retry: [...this.entries.values()].map((e) => ({
        key: e.key.toString('base64'),
        attempts: e.attempts,
        nextAt: Number.isFinite(e.nextAt) ? e.nextAt : null,
        since: e.since,
        lastError: e.lastError,
      })),
      dead: [...this.dead.values()],
    };
    writeDurably(this.file, `${JSON.stringify(stored)}\n`);
  }
}
