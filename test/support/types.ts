import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { RunningEngine } from './engines.js';

/** One Redis-protocol server started for a test. */
export interface TestServer {
  /** redis://[:password@]127.0.0.1:PORT */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The engine and version that really runs (a test asking for an engine that is not built gets redis-7.0). */
  readonly engine: RunningEngine;
  /** A new connection; the caller closes it (stop() disconnects any still open). */
  client(options?: RedisOptions): Redis;
  /** Graceful stop, then removes the server's temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Sends a signal (default SIGKILL, i.e. a crash) and waits for the exit. SIGSTOP/SIGCONT freeze and
   * thaw the server instead (a hung server), so those return at once.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port; data is lost (no persistence). */
  restart(): Promise<void>;
}

/** A 3-master Redis Cluster (no replicas), every slot assigned. */
export interface TestCluster {
  /** The engine every node runs. */
  readonly engine: RunningEngine;
  /** redis://127.0.0.1:FIRSTPORT - any node serves as a seed. */
  readonly url: string;
  readonly nodes: readonly TestServer[];
  /** A new cluster-aware connection; the caller closes it. */
  client(options?: ClusterOptions): Cluster;
  stop(): Promise<void>;
}
