import type { Side } from '../control/stages.js';

/** A key waiting to be re-copied from the side its last write went to. */
export interface MirrorEntry {
  key: Buffer;
  id: string;
  from: Side;
  /** When its oldest unmirrored write was acknowledged (local ms). */
  since: number;
  /** When it joined the waiting keys (a batch waits for more keys from its oldest entry on). */
  queuedAt: number;
  attempts: number;
  /** Not taken before this time (a retry's backoff). */
  dueAt: number;
}

/** A key given as text, by its bytes (UTF-8, as ioredis sends it) read as latin1: the text itself when ASCII. */
const idOfText = (key: string): string =>
  /^[\x00-\x7f]*$/.test(key) ? key : Buffer.from(key).toString('latin1');

/** How far take() looks for more keys of the same lane. */
const takeScanLimit = 20_000;

/**
 * The keys waiting to be mirrored, coalesced (a key written many times is copied once, as it is then) and bounded:
 * mark() answers false when there is no room, and the caller records the key for repair instead of waiting. A key
 * is never copied twice at once: one written while its copy is in flight is copied again after.
 */
export class MirrorQueue {
  private readonly waiting = new Map<string, MirrorEntry>();
  private readonly inFlight = new Map<string, MirrorEntry>();
  private readonly again = new Map<string, MirrorEntry>();

  constructor(private readonly limit: number) {}

  /** Keys not yet mirrored: waiting, being copied, or to be copied again. */
  get size(): number {
    return this.waiting.size + this.inFlight.size + this.again.size;
  }

  has(key: Buffer): boolean {
    const id = key.toString('latin1');
    return this.waiting.has(id) || this.inFlight.has(id) || this.again.has(id);
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** When the key that has waited longest joined (undefined when none waits). */
  oldestQueuedAt(): number | undefined {
    return this.waiting.values().next().value?.queuedAt;
  }

  /** Queues `key` (false: no room). A key written again while it waits costs a lookup, no copy of its bytes. */
  mark(key: Buffer | string, from: Side, now: number): boolean {
    const id = typeof key === 'string' ? idOfText(key) : key.toString('latin1');
    const known = this.waiting.get(id) ?? this.again.get(id);
    if (known) {
      known.from = from;
      return true;
    }
    if (this.size >= this.limit) return false;
    const bytes = typeof key === 'string' ? Buffer.from(id, 'latin1') : key;
    const entry = { key: bytes, id, from, since: now, queuedAt: now, attempts: 0, dueAt: now };
    if (this.inFlight.has(id)) this.again.set(id, entry);
    else this.waiting.set(id, entry);
    return true;
  }

  /** Up to `max` due keys of one lane (the lane of the first due key), in flight until settle(). */
  take(max: number, laneOf: (entry: MirrorEntry) => string, now: number): MirrorEntry[] {
    let lane: string | undefined;
    const taken: MirrorEntry[] = [];
    let looked = 0;
    for (const entry of this.waiting.values()) {
      if (taken.length >= max || looked++ >= takeScanLimit) break;
      if (entry.dueAt > now) continue;
      const here = laneOf(entry);
      lane ??= here;
      if (here !== lane) continue;
      taken.push(entry);
    }
    for (const entry of taken) {
      this.waiting.delete(entry.id);
      this.inFlight.set(entry.id, entry);
    }
    return taken;
  }

  /** The earliest time a waiting key is due, or undefined when none waits. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const entry of this.waiting.values()) next = Math.min(next ?? entry.dueAt, entry.dueAt);
    return next;
  }

  /**
   * A batch is done. Failed keys wait `backoff(attempts)` and go again, until `maxAttempts`: those are returned for
   * repair. A key written again meanwhile is queued afresh (its new copy covers the failed one).
   */
  settle(
    entries: readonly MirrorEntry[],
    failed: ReadonlySet<string>,
    now: number,
    backoff: (attempts: number) => number,
    maxAttempts: number,
  ): MirrorEntry[] {
    const givenUp: MirrorEntry[] = [];
    for (const entry of entries) {
      this.inFlight.delete(entry.id);
      const next = this.again.get(entry.id);
      this.again.delete(entry.id);
      if (next) this.waiting.set(entry.id, { ...next, since: Math.min(next.since, entry.since) });
      else if (failed.has(entry.id)) {
        const attempts = entry.attempts + 1;
        if (attempts >= maxAttempts) givenUp.push(entry);
        else
          this.waiting.set(entry.id, { ...entry, attempts, queuedAt: now, dueAt: now + backoff(attempts) });
      }
    }
    return givenUp;
  }

  /** Everything not yet mirrored (the client closes without its mirrors: recorded for repair). */
  remaining(): MirrorEntry[] {
    return [...this.waiting.values(), ...this.inFlight.values(), ...this.again.values()];
  }
}
