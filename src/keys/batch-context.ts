import type { RedisPort } from '../redis/port.js';
import type { KeyCopyOptions } from './options.js';
import type { Tally } from './tally.js';

/** What copying one batch needs: both ends, the options, and a way to stop the whole run. */
export interface BatchContext {
  source: RedisPort;
  target: RedisPort;
  options: KeyCopyOptions;
  /** Type filter as server type names, comma separated ('' = all). */
  typeFilter: string;
  /**
   * Stamp every write with the source's clock at the read, and refuse to replace a newer copy: for copies that may
   * run beside another copier of the same key (client mirrors, sync re-copies, the rollback catch-up).
   */
  stamped?: boolean;
  /** Throws, stopping the run, when an error makes going on pointless (OOM, quota, auth); else returns. */
  stopIfFatal(error: Error, role: 'source' | 'target'): void;
}

/** Source-clock milliseconds now, from a source TIME read at `localAtRead` (local clock). */
export const sourceNow = (sourceAtRead: number, localAtRead: number): number =>
  sourceAtRead + (Date.now() - localAtRead);

export type BatchCopier = (
  context: BatchContext,
  node: string,
  keys: Buffer[],
  tally: Tally,
) => Promise<void>;
