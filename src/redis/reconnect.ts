import { Cluster, type Redis } from 'ioredis';

/** How a client that has connected once rides out a lost connection (failover, restart, maintenance). */
export interface ReconnectPolicy {
  /** Attempts before the client closes for good and every command fails; Infinity keeps trying. */
  attempts: number;
  /** Attempt n waits n × stepMs, at most maxDelayMs. */
  stepMs: number;
  maxDelayMs: number;
}

/** One-shot work (copy, verify): ride out a failover (~20 s of attempts), then fail so the run ends with exit 3. */
export const boundedReconnect: ReconnectPolicy = { attempts: 20, stepMs: 100, maxDelayMs: 2000 };

/** Replaces the client's reconnect strategy; ioredis reads it at every lost connection. */
export function applyReconnectPolicy(client: Redis | Cluster, policy: ReconnectPolicy): void {
  const strategy = (times: number) =>
    times > policy.attempts ? null : Math.min(policy.stepMs * times, policy.maxDelayMs);
  // A cluster client reconnects as a whole (its node connections never retry on their own).
  if (client instanceof Cluster) client.options.clusterRetryStrategy = strategy;
  else client.options.retryStrategy = strategy;
}
