import { listedCopyContext } from '../keys/copy-listed.js';
import { copyStructBatch } from '../keys/struct-batch.js';
import { Tally } from '../keys/tally.js';
import { cmd } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import type { Finding } from './compare-keys.js';
import { compareKeys } from './compare-keys.js';
import { existing } from './extras.js';
import type { VerifySides } from './read-both.js';

/**
 * Makes the target equal for keys found different: re-copies them with the copy engine (per key, atomic,
 * replacing), deletes extra keys, then compares those keys again. Returns the findings still different.
 */
export async function repairFindings(
  sides: VerifySides,
  findings: Finding[],
  signal?: AbortSignal,
): Promise<Finding[]> {
  const { source, target } = sides;
  const extras = findings.filter((f) => f.problem === 'extra');
  const copies = findings.filter((f) => f.problem !== 'extra');
  const context = listedCopyContext(source, target, sides.options.chunkSize);
  const remaining: Finding[] = [];
  // Per source node, or per slot where the source wants each call's keys declared (a Serverless source).
  const keys = copies.map((f) => f.key);
  for (const { node, indexes } of callGroups(source, keys)) {
    const group = indexes.map((i) => keys[i]!);
    await copyStructBatch(context, node, group, new Tally());
    const after = await compareKeys(sides, node, group, signal);
    remaining.push(...after.findings);
  }
  if (extras.length > 0) {
    // Delete only what is still absent from the source: a key that appeared meanwhile is the sync's to copy.
    const onSource = await existing(
      source,
      extras.map((f) => f.key),
    );
    const doomed = extras.filter((f) => !onSource.has(f.key.toString('latin1')));
    await target.exec(doomed.map((f) => cmd('DEL', [f.key], f.key)));
    const stillThere = await existing(
      target,
      doomed.map((f) => f.key),
    );
    remaining.push(...doomed.filter((f) => stillThere.has(f.key.toString('latin1'))));
  }
  return remaining;
}
