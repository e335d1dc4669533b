import calculateSlot from 'cluster-key-slot';

export const slotOf = (key: Buffer | string): number => calculateSlot(key);

let tagsBySlot: string[] | undefined;

/** A short hash tag for every slot, found once by search, so any key can get a sibling in its own slot. */
function slotTags(): string[] {
  if (tagsBySlot) return tagsBySlot;
  const tags: string[] = new Array(16384);
  let found = 0;
  for (let n = 0; found < 16384; n++) {
    const tag = n.toString(36);
    const slot = calculateSlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      found++;
    }
  }
  tagsBySlot = tags;
  return tags;
}

/** Reserved namespace for control state and temporary keys; copy and verify always exclude it. */
export const reservedPrefix = '__migrate:';

let tempCounter = 0;

/** A temporary key in the same hash slot as `key` (docs/invariants.md #5), inside the reserved namespace. */
export function tempKeyFor(key: Buffer | string): string {
  tempCounter = (tempCounter + 1) % 1e9;
  return `${reservedPrefix}tmp:{${slotTags()[slotOf(key)]}}:${process.pid}:${tempCounter}`;
}

/**
 * The hash that keeps the stamps of the copies written to `key`'s slot (src/keys/stamp.ts): one per slot, in the
 * reserved namespace, so a stamped write declares two keys of one slot.
 */
export function stampKeyFor(key: Buffer | string): string {
  const slot = slotOf(key);
  stampKeys ??= new Array(16384);
  let name = stampKeys[slot];
  if (name === undefined) {
    name = `${reservedPrefix}stamp:{${slotTags()[slot]}}`;
    stampKeys[slot] = name;
  }
  return name;
}

let stampKeys: string[] | undefined;

/** stampKeyFor as bytes, made once per slot (packed into every stamped batch write: src/keys/write-batch.ts). */
export function stampKeyBytesFor(key: Buffer | string): Buffer {
  const slot = slotOf(key);
  stampKeyBytes ??= new Array(16384);
  let bytes = stampKeyBytes[slot];
  if (bytes === undefined) {
    bytes = Buffer.from(stampKeyFor(key));
    stampKeyBytes[slot] = bytes;
  }
  return bytes;
}

let stampKeyBytes: Buffer[] | undefined;

const reservedBytes = Buffer.from(reservedPrefix);

/** Runs for every scanned key: compares in place, making no slice or string. */
export const isReserved = (key: Buffer): boolean =>
  key.length >= reservedBytes.length &&
  key.compare(reservedBytes, 0, reservedBytes.length, 0, reservedBytes.length) === 0;
