import type { KeyState } from '../keys/compare.js';
import type { RedisPort } from '../redis/port.js';
import { digestBigKey } from './big-digest.js';
import { fingerprint } from './key-state.js';
import type { VerifyOptions } from './options.js';

export interface VerifySides {
  source: RedisPort;
  target: RedisPort;
  options: VerifyOptions;
}

export interface PairedStates {
  source: KeyState[];
  target: KeyState[];
}

/**
 * Fingerprints the same keys on both sides at once: one script call per source node, one per target node (or per
 * slot). Keys that are big on both sides with the same type and size are then digested in chunks.
 */
export async function readBoth(sides: VerifySides, keys: Buffer[]): Promise<PairedStates> {
  const { source, target, options } = sides;
  const [sourceStates, targetStates] = await Promise.all([
    fingerprint(source, keys, options),
    fingerprint(target, keys, options),
  ]);
  await digestBigKeys(sides, keys, sourceStates, targetStates);
  return { source: sourceStates, target: targetStates };
}

/**
 * Completes the states of keys too big to fingerprint in one call, in place: those big on both sides with the same
 * type and size are digested in chunks on each side (any other pair already differs without reading it whole).
 */
export async function digestBigKeys(
  sides: VerifySides,
  keys: Buffer[],
  sourceStates: KeyState[],
  targetStates: KeyState[],
): Promise<void> {
  const { source, target, options } = sides;
  const big: Promise<void>[] = [];
  keys.forEach((key, i) => {
    const s = sourceStates[i]!;
    const t = targetStates[i]!;
    if (s.digest !== undefined && t.digest !== undefined) return;
    if (s.type !== t.type || s.size !== t.size) return;
    const digest = (port: RedisPort, state: KeyState) =>
      digestBigKey(port, key, state, options.chunkSize, options.maxInlineBytes);
    big.push(
      Promise.all([digest(source, s), digest(target, t)]).then(([sd, td]) => {
        sourceStates[i] = { ...s, digest: sd };
        targetStates[i] = { ...t, digest: td };
      }),
    );
  });
  await Promise.all(big);
}
