import type { ReconnectPolicy } from './reconnect.js';

/** How to open one end. Apart from connect.ts so that the REST opener can import it without an import cycle. */
export interface EndpointOptions {
  /** `source` or `target`: named in every message. */
  role: 'source' | 'target';
  url: string;
  /** Force cluster mode on (true) or off (false); detected from `INFO cluster` when undefined. */
  cluster?: boolean | undefined;
  /** PEM file with the CA that signed the server certificate. */
  tlsCaFile?: string | undefined;
  /** Skip certificate verification: only when the operator says so. */
  tlsInsecure?: boolean | undefined;
  /** Bearer token for an Upstash REST endpoint. */
  token?: string | undefined;
  /** @default 10000 */
  connectTimeoutMs?: number | undefined;
  /** Apply Upstash's rules (rate, quota handling) whatever the host; detected from host and INFO when undefined. */
  upstash?: boolean | undefined;
  /**
   * After the first connect, how a lost connection is retried before commands fail for good (before it, a failure
   * is reported at once). `syncKeys` lifts the attempt cap for as long as it runs. @default boundedReconnect
   */
  reconnect?: ReconnectPolicy | undefined;
}
