import { displayKey } from '../display.js';
import type { Reply } from '../port.js';

/** One element of a preview, shortened. */
export const shown = (element: Reply | undefined): string =>
  Buffer.isBuffer(element) ? displayKey(element, 40) : String(element);

/** `{a=1, b=2}` from a flat list of pairs, sorted by their first element or kept in the order read. */
export function pairsPreview(items: Reply[], sort: boolean): string {
  const pairs: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) pairs.push([items[i] as Buffer, items[i + 1] as Buffer]);
  if (sort) pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  return `{${pairs.map(([a, b]) => `${shown(a)}=${shown(b)}`).join(', ')}}`;
}
