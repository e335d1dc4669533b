import type { Arg, Reply } from '../port.js';
import { asArray, scanKey, type TypeCodec } from './codec.js';

/** member, score pairs (ZRANGE WITHSCORES / ZSCAN order) to ZADD's score, member order. Scores such as inf stay text. */
function scoreFirst(items: Reply[]): Arg[] {
  const out: Arg[] = new Array(items.length);
  for (let i = 0; i + 1 < items.length; i += 2) {
    out[i] = items[i + 1] as Buffer;
    out[i + 1] = items[i] as Buffer;
  }
  return out;
}

/** Sorted sets: scores travel as Redis prints them (17 significant digits, "inf"/"-inf"), so they round-trip exactly. */
export const zsetCodec: TypeCodec = {
  payload: (value) => scoreFirst(asArray(value)),
  async *chunks(source, key, chunkSize) {
    for await (const items of scanKey(source, 'ZSCAN', key, chunkSize)) yield scoreFirst(items);
  },
};
