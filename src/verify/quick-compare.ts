import {
  classify,
  expiryProblem,
  type FieldExpiries,
  fieldTtlProblem,
  type KeyState,
  type Problem,
} from '../keys/compare.js';
import { expireAtOf } from '../redis/expiry.js';
import { keyRulesOf } from '../redis/key-rules.js';
import { asArray, asNumber, asText, type Command, type RedisPort, type Reply } from '../redis/port.js';
import { callGroups } from '../redis/routing.js';
import { execScripts, keysScriptCommand } from '../redis/script-runner.js';
import type { VerifyOptions } from './options.js';
import { digestBigKeys, readBoth, type VerifySides } from './read-both.js';
import { batchDigestScript } from './scripts.js';

export interface Difference {
  key: Buffer;
  problem: Problem;
  source: KeyState;
  target: KeyState;
}

export interface FirstLook {
  checked: number;
  vanished: number;
  unsupported: number;
  /** Keys compared one by one, because their batch's digests (or their expiries) differed. */
  oneByOne: number;
  /** Keys found different, with both sides' states. */
  differences: Difference[];
}

/** One side's answer to batchDigestScript for some groups of keys. */
interface BatchDigest {
  /** Absolute expiry of each key (-1 none, -2 gone). */
  expiries: number[];
  digests: string[];
  /** Keys entered by type and size only (too big), by index in the list sent. */
  big: Array<{ index: number; type: string; size: number }>;
  unsupported: number;
  /** One letter per key saying its type (s, h, l, S, z, x; n when absent; ? otherwise), a hint for the other side. */
  types: string;
  /** Field expiries of the hashes whose fields carry some, by index in the list sent. */
  fieldTtls: ReadonlyMap<number, FieldExpiries>;
}

/**
 * The first compare of a batch: one digest per side (per target node for a cluster, or per slot where the target
 * wants keys declared) over every key's type and value, plus each key's expiry. When the digests agree, only
 * expiries and big keys (digested in chunks) are left to compare; when they differ, that group of keys is compared
 * key by key. Exact either way: equal digests mean
 * equal keys, and every key of a differing group gets the full compare.
 */
export async function firstLook(sides: VerifySides, keys: Buffer[]): Promise<FirstLook> {
  const { source, target, options } = sides;
  // Groups as the target takes them, or by slot where the source wants each call's keys declared (a Serverless
  // source: a rollback's catch-up), which suits any target too.
  const sourceBySlot = keyRulesOf(source) === 'by-slot';
  const groups = callGroups(sourceBySlot ? source : target, keys).map(({ indexes }) =>
    indexes.map((i) => keys[i]!),
  );
  // The source goes first: its types spare the target a TYPE call per key (the target's reads still prove them).
  // One call over every group (one billed command), or one per slot, all in one round trip.
  const onSource = sourceBySlot
    ? joinDigests(
        await runDigests(
          source,
          groups.map((group) => digestCommand(source, [group], '', options)),
        ),
        groups,
      )
    : (await runDigests(source, [digestCommand(source, groups, '', options)]))[0]!;
  let offset = 0;
  const onTarget = await runDigests(
    target,
    groups.map((group) => {
      const hints = onSource.types.slice(offset, offset + group.length);
      offset += group.length;
      return digestCommand(target, [group], hints, options);
    }),
  );

  const look: FirstLook = {
    checked: 0,
    vanished: 0,
    unsupported: onSource.unsupported,
    oneByOne: 0,
    differences: [],
  };
  const oneByOne: Buffer[] = []; // keys to compare key by key
  const big: { keys: Buffer[]; source: KeyState[]; target: KeyState[] } = {
    keys: [],
    source: [],
    target: [],
  };
  const bigAt = new Map(onSource.big.map((entry) => [entry.index, entry]));
  // Field expiries are compared for every key, whichever way its value is: they are not in the digests.
  const fieldDiffs: Difference[] = [];
  let at = 0; // position in the source's list, which is the groups one after another
  groups.forEach((group, g) => {
    const other = onTarget[g]!;
    const same = onSource.digests[g] === other.digests[0];
    group.forEach((key, j) => {
      const index = at++;
      const expiry = onSource.expiries[index]!;
      if (expiry === -2) {
        look.vanished++;
        return;
      }
      look.checked++;
      const fieldProblem = fieldTtlProblem(
        onSource.fieldTtls.get(index),
        other.fieldTtls.get(j),
        options.ttlToleranceMs,
      );
      if (fieldProblem) {
        const state = (at: number): KeyState => ({
          type: 'hash',
          size: 0,
          expireAt: expireAtOf(at),
          digest: '',
        });
        fieldDiffs.push({
          key,
          problem: fieldProblem,
          source: state(expiry),
          target: state(other.expiries[j] ?? -1),
        });
      }
      if (!same) {
        oneByOne.push(key);
        return;
      }
      const sourceExpiry = expireAtOf(expiry);
      const targetExpiry = expireAtOf(other.expiries[j]!);
      const entry = bigAt.get(index);
      if (entry) {
        // Same type and size on both sides (the digests say so): the chunked digests decide.
        big.keys.push(key);
        big.source.push({ type: entry.type, size: entry.size, expireAt: sourceExpiry, digest: undefined });
        big.target.push({ type: entry.type, size: entry.size, expireAt: targetExpiry, digest: undefined });
        return;
      }
      const problem = expiryProblem(sourceExpiry, targetExpiry, options.ttlToleranceMs);
      if (problem) oneByOne.push(key);
    });
  });

  look.oneByOne = oneByOne.length;
  const [states] = await Promise.all([
    oneByOne.length > 0 ? readBoth(sides, oneByOne) : undefined,
    digestBigKeys(sides, big.keys, big.source, big.target),
  ]);
  const record = (key: Buffer, source: KeyState, target: KeyState) => {
    const problem = classify(source, target, options.ttlToleranceMs);
    if (problem) look.differences.push({ key, problem, source, target });
  };
  oneByOne.forEach((key, i) => {
    record(key, states!.source[i]!, states!.target[i]!);
  });
  big.keys.forEach((key, i) => {
    record(key, big.source[i]!, big.target[i]!);
  });
  const differs = new Set(look.differences.map(({ key }) => key));
  look.differences.push(...fieldDiffs.filter(({ key }) => !differs.has(key)));
  return look;
}

/** One batchDigestScript call over `groups` (a digest each); `hints` are the other side's type letters, or ''. */
function digestCommand(port: RedisPort, groups: Buffer[][], hints: string, options: VerifyOptions): Command {
  return keysScriptCommand(port, batchDigestScript, groups.length === 1 ? groups[0]! : groups.flat(), [
    options.chunkSize,
    options.maxInlineBytes,
    hints,
    groups.length === 1 ? '' : groups.map((group) => group.length).join(','),
  ]);
}

/** Runs digest calls in one round trip; throws the first reply error. */
async function runDigests(port: RedisPort, commands: Command[]): Promise<BatchDigest[]> {
  const replies = await execScripts(port, commands, [batchDigestScript]);
  return replies.map((reply) => {
    if (reply instanceof Error) throw reply;
    const [, expiries, digests, big, unsupported, types, fieldTtls] = asArray(reply);
    const flatBig = asArray(big);
    const bigKeys: BatchDigest['big'] = [];
    for (let i = 0; i + 2 < flatBig.length; i += 3) {
      bigKeys.push({
        index: asNumber(flatBig[i]) - 1,
        type: asText(flatBig[i + 1]),
        size: asNumber(flatBig[i + 2]),
      });
    }
    return {
      expiries: asArray(expiries) as number[],
      digests: asArray(digests).map(asText),
      big: bigKeys,
      unsupported: asNumber(unsupported),
      types: asText(types),
      fieldTtls: fieldExpiriesOf(asArray(fieldTtls)),
    };
  });
}

/** The answers of one call per group as the one answer of a call over all groups (indexes shifted by group). */
function joinDigests(parts: BatchDigest[], groups: Buffer[][]): BatchDigest {
  const fieldTtls = new Map<number, FieldExpiries>();
  const joined: BatchDigest = {
    expiries: [],
    digests: [],
    big: [],
    unsupported: 0,
    types: '',
    fieldTtls,
  };
  let offset = 0;
  parts.forEach((part, g) => {
    joined.expiries.push(...part.expiries);
    joined.digests.push(...part.digests);
    for (const entry of part.big) joined.big.push({ ...entry, index: entry.index + offset });
    joined.unsupported += part.unsupported;
    joined.types += part.types;
    for (const [index, fields] of part.fieldTtls) fieldTtls.set(index + offset, fields);
    offset += groups[g]!.length;
  });
  return joined;
}

/** What most calls answer for field expiries (none), shared: a call per key would build a Map per key. */
const noFieldExpiries: ReadonlyMap<number, FieldExpiries> = new Map();

/** The script's {index, {field, expireAt…}…} as maps by 0-based index. */
function fieldExpiriesOf(flat: Reply[]): ReadonlyMap<number, FieldExpiries> {
  if (flat.length === 0) return noFieldExpiries;
  const byIndex = new Map<number, FieldExpiries>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const list = asArray(flat[i + 1]);
    const fields = new Map<string, number>();
    for (let f = 0; f + 1 < list.length; f += 2) {
      const field = list[f];
      fields.set(Buffer.isBuffer(field) ? field.toString('latin1') : String(field), asNumber(list[f + 1]));
    }
    byIndex.set(asNumber(flat[i]) - 1, fields);
  }
  return byIndex;
}
