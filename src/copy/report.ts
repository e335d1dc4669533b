import type { CopyCounts, KeyFailure, KeyFieldTtls } from '../keys/tally.js';

/** What a copy run returns (and --json prints). */
export interface CopyReport extends CopyCounts {
  command: 'copy';
  mode: 'struct' | 'dump';
  sourceCommands: number;
  estimatedCostUsd: number;
  durationMs: number;
  keysPerSec: number;
  failures: KeyFailure[];
  /** Hashes whose field expiries --field-ttl drop|skip-fields gave up, and how many (listed as many as failures). */
  fieldTtlsGivenUp: KeyFieldTtls[];
  /** True when the run stopped early (signal, or a fatal error); the checkpoint resumes it. */
  interrupted: boolean;
  resumed: boolean;
  checkpoint: string;
}
