import { isIP } from 'node:net';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Side } from '../control/stages.js';
import { usageError } from '../errors.js';
import { IoredisPort } from '../redis/ioredis-port.js';
import { parseEndpointUrl, redactUrl } from '../redis/url.js';
import type { ClusterEndpoint, EndpointConfig } from './options.js';

/** One side's connections. */
export interface SideConnections {
  side: Side;
  /** Redacted address, safe to print. */
  label: string;
  /** The application's commands go here: ioredis as configured, so a down primary behaves exactly as ioredis does. */
  app: Redis | Cluster;
  /**
   * The library's own connection (mirror, stage record, heartbeats, shadow reads): the application's commands never
   * queue behind a mirror batch, and it keeps reconnecting for as long as the client is open.
   */
  port: IoredisPort;
  /** Another connection like the application's (subscriber mode, blocking commands). */
  duplicate(): Redis | Cluster;
}

/** The library's own connection keeps trying; a command fails after one failed reconnect, to be retried by us. */
const internalReconnect = { attempts: Number.POSITIVE_INFINITY, stepMs: 100, maxDelayMs: 2000 };

const isCluster = (config: EndpointConfig): config is ClusterEndpoint =>
  typeof config === 'object' && 'cluster' in config;

export function openSide(side: Side, config: EndpointConfig): SideConnections {
  if (typeof config === 'object' && !isCluster(config) && config.keyPrefix !== undefined) {
    throw usageError(`${side}: keyPrefix belongs in the client options, not in one endpoint`);
  }
  const { app, label } = appClient(side, config);
  const internal =
    app instanceof Cluster
      ? app.duplicate(undefined, {
          lazyConnect: true,
          redisOptions: { ...app.options.redisOptions, maxRetriesPerRequest: 1 },
        })
      : app.duplicate({ lazyConnect: true, maxRetriesPerRequest: 1 });
  internal.on('error', () => {}); // counted where the failed commands are; never an unhandled event
  const upstash = /\.upstash\.io\b/i.test(label);
  return {
    side,
    label,
    app,
    port: new IoredisPort(internal, label, upstash, internalReconnect),
    duplicate: () => (app instanceof Cluster ? app.duplicate() : app.duplicate()),
  };
}

function appClient(side: Side, config: EndpointConfig): { app: Redis | Cluster; label: string } {
  if (typeof config === 'string') {
    const address = parseEndpointUrl(config, side);
    if (address.protocol !== 'redis' && address.protocol !== 'rediss') {
      throw usageError(`${side}: the client needs a redis:// or rediss:// URL (${address.label})`);
    }
    return { app: new Redis(config, { lazyConnect: true }), label: address.label };
  }
  if (!isCluster(config)) {
    const options: RedisOptions = { ...config, lazyConnect: true };
    return { app: new Redis(options), label: `${options.host ?? 'localhost'}:${options.port ?? 6379}` };
  }
  if (typeof config.cluster !== 'string') {
    const label = `cluster ${JSON.stringify(config.cluster[0] ?? '')}`;
    return { app: new Cluster(config.cluster, { ...config.options, lazyConnect: true }), label };
  }
  const address = parseEndpointUrl(config.cluster, side);
  const redisOptions: RedisOptions = { ...config.options?.redisOptions };
  if (address.username !== undefined) redisOptions.username = address.username;
  if (address.password !== undefined) redisOptions.password = address.password;
  // A CA or certificate given in redisOptions.tls is kept; the server name comes from the URL.
  if (address.tls)
    redisOptions.tls = { ...redisOptions.tls, ...(isIP(address.host) ? {} : { servername: address.host }) };
  const options: ClusterOptions = {
    // ElastiCache TLS certificates name the configuration endpoint: keep the host names the cluster announces.
    ...(address.tls ? { dnsLookup: (host, callback) => callback(null, host) } : {}),
    ...config.options,
    redisOptions,
    lazyConnect: true,
  };
  return {
    app: new Cluster([{ host: address.host, port: address.port }], options),
    label: redactUrl(config.cluster),
  };
}
