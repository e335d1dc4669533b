import { asArray, type RedisPort } from '../redis/port.js';
import { isReserved } from '../redis/slot.js';

/** One SCAN reply: keys from `node`, and the cursor that follows them ('0' when the node is done). */
export interface ScanPage {
  node: string;
  keys: Buffer[];
  cursorAfter: string;
}

export interface ScanOptions {
  match: string;
  /** SCAN TYPE, when exactly one type is wanted. */
  type?: string | undefined;
  /** @default 1000 */
  count: number;
  /** Where each node's scan starts; a node at '0' in a resumed run is done. */
  startCursors?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Keep keys of the reserved `__migrate:` namespace (left out by default). */
  includeReserved?: boolean;
}

/**
 * Scans every master, one after another, yielding each SCAN reply as a page. Reserved keys are left out.
 * The caller pulls pages as it has room, so the scanner runs ahead of the copiers by a bounded amount.
 */
export async function* scanPages(port: RedisPort, options: ScanOptions): AsyncGenerator<ScanPage> {
  const extra: Array<string | number> = ['MATCH', options.match, 'COUNT', options.count];
  if (options.type) extra.push('TYPE', options.type);
  for (const node of port.nodes()) {
    const start = options.startCursors?.[node];
    if (start === 'done') continue;
    let cursor = start ?? '0';
    do {
      if (options.signal?.aborted) return;
      const [reply] = await port.exec([{ name: 'SCAN', args: [cursor, ...extra] }], node);
      if (reply instanceof Error) throw reply;
      const [next, keys] = asArray(reply ?? null);
      cursor = String(next ?? '0');
      const found = asArray(keys ?? null) as Buffer[];
      const visible = options.includeReserved ? found : found.filter((key) => !isReserved(key));
      yield { node, keys: visible, cursorAfter: cursor === '0' ? 'done' : cursor };
    } while (cursor !== '0');
  }
}
