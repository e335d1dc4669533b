import { Cluster, type Redis } from 'ioredis';
import { ExitCode, MigrateError } from '../errors.js';
import { IoredisPort } from './ioredis-port.js';
import type { RedisPort } from './port.js';

export interface ChangeHandlers {
  /** A key changed (any event: write, delete, expiry, eviction, either side of a rename); `event` names it. */
  onKey(key: Buffer, event: string): void;
  /** The subscription was down for a while: events may have been lost. */
  onGap(reason: string): void;
}

/** A server's change feed: keyevent notifications from every master (sync's feed, a window's quiet check). */
export interface ChangeFeed {
  close(): Promise<void>;
}

/**
 * Subscribes to `__keyevent@<db>__:*` on a dedicated connection per source master, and resolves once every
 * subscription is active (so nothing written after this resolves is missed). A dropped subscription reconnects,
 * resubscribes and then reports a gap.
 */
export async function openChangeFeed(port: RedisPort, handlers: ChangeHandlers): Promise<ChangeFeed> {
  if (!(port instanceof IoredisPort)) {
    throw new MigrateError(
      `sync needs a TCP connection to the source (${port.label}): keyspace notifications arrive over pub/sub`,
      {
        code: ExitCode.usage,
        hint: 'pass the rediss:// URL of the source (Upstash console: "TCP" / redis-cli connection string)',
      },
    );
  }
  const client = port.client;
  const masters: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  const db = client instanceof Cluster ? 0 : (client.options.db ?? 0);
  const subscribers = await Promise.all(
    masters.map((master) => subscribe(master, `__keyevent@${db}__:*`, handlers)),
  );
  return {
    async close() {
      for (const subscriber of subscribers) subscriber.close();
    },
  };
}

async function subscribe(
  master: Redis,
  pattern: string,
  handlers: ChangeHandlers,
): Promise<{ close(): void }> {
  let closing = false;
  let connectedOnce = false;
  const subscriber = master.duplicate({
    lazyConnect: true,
    autoResubscribe: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    // The feed must come back after any outage; each return is a gap, repaired by reconciliation.
    retryStrategy: (times: number) => (closing ? null : Math.min(50 * times, 1000)),
  });
  subscriber.on('error', () => {}); // a drop is handled through 'ready' and the gap below
  subscriber.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, key: Buffer) => {
    // The channel is `__keyevent@<db>__:<event>`.
    if (!closing) handlers.onKey(key, channel.subarray(channel.indexOf(':') + 1).toString());
  });
  subscriber.on('ready', () => {
    if (!connectedOnce || closing) return;
    subscriber.psubscribe(pattern).then(
      () => handlers.onGap(`subscription to ${master.options.host}:${master.options.port} reconnected`),
      () => subscriber.disconnect(true),
    );
  });
  await subscriber.connect();
  await subscriber.psubscribe(pattern);
  connectedOnce = true;
  return {
    close() {
      closing = true;
      subscriber.disconnect();
    },
  };
}
