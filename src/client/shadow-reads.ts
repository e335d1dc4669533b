import { otherSide, type Side } from '../control/stages.js';
import { absent, classify, type KeyState, type Problem } from '../keys/compare.js';
import { rawFingerprint } from '../keys/raw-fingerprint.js';
import { displayKey } from '../redis/display.js';
import { expireAtOf } from '../redis/expiry.js';
import { asArray, asNumber, asText, cmd, type RedisPort } from '../redis/port.js';
import { declaredScriptCommand, execScripts } from '../redis/script-runner.js';
import { readBatchScript } from '../redis/scripts.js';
import { slotOf, stampKeyFor } from '../redis/slot.js';
import { sleep } from '../retry.js';
import type { Router } from './router.js';

export interface ShadowSettings {
  shadowSampleRate: number;
  shadowRecheckMs: number;
  shadowExamples: number;
}

/** Keys of one read compared at most, compares running at once (more samples are skipped), re-checks per key. */
const maxKeys = 8;
const maxRunning = 8;
const rechecks = 3;
/** Expiries further apart than this differ (verify's default; both sides hold the same absolute time). */
const ttlToleranceMs = 1000;
/** Inline limits of the compare's read: bigger values are compared by type and size. */
const limits = [1000, 1024 * 1024, ''];

interface Look {
  problem: Problem | undefined;
  /** The secondary's stamp of its last copy of the key (src/keys/stamp.ts). */
  stamp: string;
}

/**
 * Shadow reads in `shadow` and `live`: a sampled share of reads is read again, whole and type-aware, from both sides
 * and compared, off the caller's path. A key found different is compared again after a short delay, a few times. It
 * counts as a mismatch only if it never matched and no copy of it reached the secondary meanwhile (its stamp did not
 * move): a key that keeps changing is being mirrored, not lost.
 */
export class ShadowReads {
  compared = 0;
  mismatches = 0;
  /** Keys that differed on every look while copies of them kept landing: busy, not counted as mismatches. */
  busy = 0;
  readonly examples: string[] = [];
  private running = 0;

  constructor(
    private readonly ports: Record<Side, RedisPort>,
    private readonly router: Router,
    private readonly pending: (key: Buffer) => boolean,
    private readonly settings: ShadowSettings,
  ) {}

  /** After a read answered from `side`: perhaps compares its keys with the other side. Never throws, never waits. */
  sample(keys: ReadonlyArray<Buffer | string>, side: Side): void {
    if (keys.length === 0 || Math.random() >= this.settings.shadowSampleRate) return;
    if (this.running >= maxRunning || !this.router.route(slotOf(keys[0]!)).shadowReads) return;
    this.running++;
    const epoch = this.router.current?.epoch;
    const bytes = keys.slice(0, maxKeys).map((key) => (typeof key === 'string' ? Buffer.from(key) : key));
    void Promise.all(bytes.map((key) => this.compareKey(key, side, epoch)))
      .catch(() => {}) // a side that does not answer is the mirror's and the heartbeat's business, not a mismatch
      .finally(() => {
        this.running--;
      });
  }

  private async compareKey(key: Buffer, primary: Side, epoch: number | undefined): Promise<void> {
    const first = await this.look(key, primary);
    if (!first.problem) return this.count(epoch, undefined);
    let moved = false;
    let last = first;
    for (let attempt = 1; attempt <= rechecks; attempt++) {
      await sleep(this.settings.shadowRecheckMs * attempt);
      const again = await this.look(key, primary);
      if (!again.problem) return this.count(epoch, undefined);
      moved ||= again.stamp !== last.stamp || this.pending(key);
      last = again;
    }
    this.count(epoch, moved ? 'busy' : `${displayKey(key)}: ${last.problem}`);
  }

  private count(epoch: number | undefined, outcome: string | undefined): void {
    if (this.router.current?.epoch !== epoch) return; // the routing changed meanwhile: not a fair compare
    this.compared++;
    if (outcome === 'busy') this.busy++;
    else if (outcome !== undefined) {
      this.mismatches++;
      if (this.examples.length < this.settings.shadowExamples) this.examples.push(outcome);
    }
  }

  private async look(key: Buffer, primary: Side): Promise<Look> {
    const secondary = otherSide(primary);
    const stampKey = stampKeyFor(key);
    const [onPrimary, onSecondary] = await Promise.all([
      readKey(this.ports[primary], key, []),
      readKey(this.ports[secondary], key, [cmd('HGET', [stampKey, key], stampKey)]),
    ]);
    const problem =
      onPrimary.state.type === 'none'
        ? onSecondary.state.type === 'none'
          ? undefined
          : 'extra'
        : classify(onPrimary.state, onSecondary.state, ttlToleranceMs);
    return { problem, stamp: onSecondary.stamp };
  }
}

/** One key as a side holds it (one script call declaring the key), and the reply of `extra` sent beside it. */
async function readKey(
  port: RedisPort,
  key: Buffer,
  extra: ReturnType<typeof cmd>[],
): Promise<{ state: KeyState; stamp: string }> {
  // One key, declared: what every server takes, ElastiCache Serverless included.
  const read = declaredScriptCommand(readBatchScript, [key], limits);
  const [reply, stamp] = await execScripts(port, [read, ...extra], [readBatchScript]);
  if (reply instanceof Error) throw reply;
  const flat = asArray(reply);
  const type = asText(flat[1]);
  const expiry = asNumber(flat[2]);
  if (type === 'none' || expiry === -2) return { state: absent, stamp: asText(stamp) };
  const value = flat[4];
  const state: KeyState = {
    type,
    expireAt: expireAtOf(expiry),
    size: asNumber(flat[3]),
    digest:
      value === undefined || value === null || value instanceof Error
        ? undefined
        : rawFingerprint(type, value),
  };
  return { state, stamp: asText(stamp) };
}
