import type { RedisPort } from '../redis/port.js';
import { digestBigKey } from './big-digest.js';
import { fingerprint, type KeyState } from './key-state.js';
import type { VerifyOptions } from './options.js';
import { groupByNode } from './routing.js';

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
 * Fingerprints the same keys on both sides at once: one script call on the source node that holds them, one per
 * target node. Keys that are big on both sides with the same type and size are then digested in chunks.
 */
export async function readBoth(
  sides: VerifySides,
  sourceNode: string,
  keys: Buffer[],
): Promise<PairedStates> {
  const { source, target, options } = sides;
  const groups = [...groupByNode(target, keys)];
  const [sourceStates, targetParts] = await Promise.all([
    fingerprint(source, sourceNode, keys, options),
    Promise.all(groups.map(([node, group]) => fingerprint(target, node, group, options))),
  ]);
  const byKey = new Map<string, KeyState>();
  groups.forEach(([, group], g) => {
    group.forEach((key, i) => {
      byKey.set(key.toString('latin1'), targetParts[g]![i]!);
    });
  });
  const targetStates = keys.map((key) => byKey.get(key.toString('latin1'))!);

  const big: Promise<void>[] = [];
  keys.forEach((key, i) => {
    const s = sourceStates[i]!;
    const t = targetStates[i]!;
    if (s.digest !== undefined && t.digest !== undefined) return;
    if (s.type !== t.type || s.size !== t.size) return; // already different: no need to read the whole key
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
  return { source: sourceStates, target: targetStates };
}
