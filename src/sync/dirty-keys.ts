/** A key waiting to be copied, and when its oldest unapplied change was first seen (local ms). */
export interface DirtyKey {
  key: Buffer;
  since: number;
}

export interface DirtyBatch {
  node: string;
  keys: DirtyKey[];
}

/** How far a take() looks for more keys of the same source node, so a cluster batch stays cheap to build. */
const takeScanLimit = 20_000;

/**
 * The set of keys whose source changed and whose copy has not been applied yet. Events are deduplicated, and
 * a key is never copied twice at once (docs/invariants.md #3): a key that changes while its copy is in flight
 * is copied again after.
 *
 * Waiting keys live in two maps so the lag is cheap to read under heavy load: `fresh` holds keys marked as they
 * change, in the order seen (its first entry is its oldest), `older` the few that carry an earlier time (changed
 * during their copy, retried, or moved up by a new mark). Keys `bigBytes` knows (their size when last copied) wait
 * apart, in `big`, so a hot big key is copied in its own lane and never holds back a batch of small ones.
 */
export class DirtyKeys {
  private readonly fresh = new Map<string, DirtyKey>();
  private readonly older = new Map<string, DirtyKey>();
  private readonly big = new Map<string, DirtyKey>();
  private readonly inFlight = new Map<string, number>();
  private readonly again = new Map<string, DirtyKey>();
  private lastFresh = 0;

  constructor(private readonly bigBytes: (id: string) => number | undefined = () => undefined) {}

  mark(key: Buffer, since = Date.now()): void {
    const id = key.toString('latin1');
    if (this.inFlight.has(id)) {
      if (!this.again.has(id)) this.again.set(id, { key, since });
      return;
    }
    const early = this.older.get(id) ?? this.big.get(id);
    if (early) {
      early.since = Math.min(early.since, since);
      return;
    }
    const known = this.fresh.get(id);
    if (known) {
      if (since < known.since) {
        this.fresh.delete(id);
        this.older.set(id, { key, since });
      }
      return;
    }
    if (this.bigBytes(id) !== undefined) this.big.set(id, { key, since });
    else if (since >= this.lastFresh) {
      this.lastFresh = since;
      this.fresh.set(id, { key, since });
    } else this.older.set(id, { key, since });
  }

  /** Keys not yet applied: waiting, being copied, or to be copied again. */
  get size(): number {
    return this.fresh.size + this.older.size + this.big.size + this.inFlight.size + this.again.size;
  }

  /** Up to `max` waiting keys (oldest first) that live on one source node; in flight until settle(). */
  take(max: number, nodeOf: (key: Buffer) => string): DirtyBatch | undefined {
    let node: string | undefined;
    const keys: DirtyKey[] = [];
    let looked = 0;
    for (const waiting of [this.older, this.fresh]) {
      for (const [id, entry] of waiting) {
        if (keys.length >= max || looked++ >= takeScanLimit) break;
        const owner = nodeOf(entry.key);
        node ??= owner;
        if (owner !== node) continue;
        keys.push(entry);
        waiting.delete(id);
        this.inFlight.set(id, entry.since);
      }
    }
    return node === undefined ? undefined : { node, keys };
  }

  /**
   * Waiting big keys of one source node, in the order they changed, up to `maxBytes` by their last copy's size
   * (always at least one); in flight until settle().
   */
  takeBig(maxBytes: number, nodeOf: (key: Buffer) => string): DirtyBatch | undefined {
    let node: string | undefined;
    const keys: DirtyKey[] = [];
    let bytes = 0;
    let looked = 0;
    for (const [id, entry] of this.big) {
      const size = this.bigBytes(id) ?? 0;
      if ((keys.length > 0 && bytes + size > maxBytes) || looked++ >= takeScanLimit) break;
      const owner = nodeOf(entry.key);
      node ??= owner;
      if (owner !== node) continue;
      keys.push(entry);
      bytes += size;
      this.big.delete(id);
      this.inFlight.set(id, entry.since);
    }
    return node === undefined ? undefined : { node, keys };
  }

  /** The batch's copies are done (applied or handed to the retry queue); keys changed meanwhile wait again. */
  settle(batch: DirtyBatch): void {
    for (const { key } of batch.keys) {
      const id = key.toString('latin1');
      this.inFlight.delete(id);
      const next = this.again.get(id);
      if (next) {
        this.again.delete(id);
        this.mark(next.key, next.since);
      }
    }
  }

  /** When the oldest change not yet applied was first seen, or undefined when all are applied. */
  oldestSince(): number | undefined {
    let oldest = this.fresh.values().next().value?.since ?? Number.POSITIVE_INFINITY;
    for (const since of this.inFlight.values()) oldest = Math.min(oldest, since);
    for (const entry of this.older.values()) oldest = Math.min(oldest, entry.since);
    for (const entry of this.big.values()) oldest = Math.min(oldest, entry.since);
    for (const entry of this.again.values()) oldest = Math.min(oldest, entry.since);
    return Number.isFinite(oldest) ? oldest : undefined;
  }

  /** Every key not yet applied, to persist on stop. */
  remaining(): DirtyKey[] {
    return [...this.older.values(), ...this.big.values(), ...this.fresh.values(), ...this.again.values()];
  }
}
