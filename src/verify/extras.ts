import { absent } from '../keys/compare.js';
import { asNumber, call, cmd, type RedisPort } from '../redis/port.js';
import { scriptPerGroup } from '../redis/script-runner.js';
import { sleep } from '../retry.js';
import type { Finding } from './compare-keys.js';
import type { VerifySides } from './read-both.js';
import { existsBatchScript } from './scripts.js';

/** Which of `keys` exist on `port`: one script call per node holding them (per slot where keys must be declared). */
export async function existing(port: RedisPort, keys: Buffer[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const { indexes, reply } of await scriptPerGroup(port, existsBatchScript, keys, [])) {
    if (reply instanceof Error) throw reply;
    const flags = Buffer.isBuffer(reply) ? reply.toString('latin1') : '';
    indexes.forEach((index, i) => {
      if (flags[i] === '1') found.add(keys[index]!.toString('latin1'));
    });
  }
  return found;
}

/**
 * The keys of `keys` that `port` does not hold. On a standalone server one EXISTS counts them first: when all are
 * there (the usual answer), that is the whole cost; otherwise `existing` says which. (A cluster of one node refuses
 * a multi-key EXISTS across slots.)
 */
async function absentFrom(port: RedisPort, keys: Buffer[]): Promise<Buffer[]> {
  if (port.topology === 'standalone' && asNumber(await call(port, cmd('EXISTS', keys))) === keys.length)
    return [];
  const found = await existing(port, keys);
  return keys.filter((key) => !found.has(key.toString('latin1')));
}

export interface ExtrasOutcome {
  scanned: number;
  rechecked: number;
  findings: Finding[];
}

/**
 * Finds target keys the source does not hold, from one page of a target scan: one existence check on the source
 * per page, and re-checks on both sides before a key is reported (a key being created or deleted by a sync
 * in flight is not an extra).
 */
export async function findExtras(
  sides: VerifySides,
  keys: Buffer[],
  signal?: AbortSignal,
): Promise<ExtrasOutcome> {
  const { source, target, options } = sides;
  const outcome: ExtrasOutcome = { scanned: keys.length, rechecked: 0, findings: [] };
  if (keys.length === 0) return outcome;
  let suspects = await absentFrom(source, keys);
  for (let attempt = 0; attempt < options.recheckAttempts && suspects.length > 0; attempt++) {
    await sleep(options.recheckMs, signal);
    const [stillOnTarget, nowOnSource] = await Promise.all([
      existing(target, suspects),
      existing(source, suspects),
    ]);
    const still = suspects.filter((key) => {
      const name = key.toString('latin1');
      return stillOnTarget.has(name) && !nowOnSource.has(name);
    });
    outcome.rechecked += suspects.length - still.length;
    suspects = still;
  }
  const node = source.nodes()[0] ?? 'main';
  outcome.findings = suspects.map((key) => ({
    key,
    problem: 'extra',
    sourceNode: node,
    source: absent,
    target: { type: 'unknown', expireAt: 0, size: 0, digest: undefined },
  }));
  return outcome;
}
