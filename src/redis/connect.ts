import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, createSecureContext, rootCertificates } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ExitCode, MigrateError, usageError } from '../errors.js';
import { connectionError } from './connection-errors.js';
import type { EndpointOptions } from './endpoint-options.js';
import { IoredisPort } from './ioredis-port.js';
import type { RedisPort } from './port.js';
import { openRestPort } from './rest/open-rest.js';
import { type EndpointAddress, parseEndpointUrl } from './url.js';

const isUpstashHost = (host: string): boolean => /(^|\.)upstash\.io$/i.test(host);

/** Opens an endpoint: URL parsed, TLS set up, cluster mode detected, connection proven with a round trip. */
export async function openEndpoint(options: EndpointOptions): Promise<RedisPort> {
  const address = parseEndpointUrl(options.url, options.role);
  if (address.protocol === 'http' || address.protocol === 'https') {
    return openRestPort(address, options);
  }
  const secrets = [address.password, options.token];
  const redisOptions = ioredisOptions(address, options);
  const first = new Redis(redisOptions);
  // ioredis rejects connect() with a bare "Connection is closed"; the first socket error says why.
  let socketError: unknown;
  first.on('error', (error) => {
    socketError ??= error;
  });
  let info: string;
  try {
    await first.connect();
    info = await first.info().catch(() => ''); // Upstash answers INFO partially; nothing below depends on it
  } catch (error) {
    first.disconnect();
    throw connectionError(options.role, address.label, socketError ?? error, secrets, address.tls);
  }
  const upstash = options.upstash ?? (isUpstashHost(address.host) || /upstash/i.test(info));
  const clusterMode = options.cluster ?? /cluster_enabled:1/.test(info);
  if (!clusterMode) return new IoredisPort(first, address.label, upstash, options.reconnect);
  first.disconnect();
  if (address.db !== 0)
    throw usageError(`${options.role}: cluster mode has only database 0 (${address.label})`);
  const cluster = new Cluster([{ host: address.host, port: address.port }], {
    redisOptions: { ...redisOptions, db: 0 },
    lazyConnect: true,
    // ElastiCache TLS certificates name the configuration endpoint; keep the host names the cluster announces.
    dnsLookup: (hostname, callback) => callback(null, hostname),
    slotsRefreshTimeout: options.connectTimeoutMs ?? 10_000,
    clusterRetryStrategy: (times) => (times > 5 ? null : 200 * times),
  });
  cluster.on('error', () => {});
  try {
    await cluster.connect();
    await cluster.ping();
  } catch (error) {
    cluster.disconnect();
    throw connectionError(options.role, address.label, error, secrets, address.tls);
  }
  return new IoredisPort(cluster, address.label, upstash, options.reconnect);
}

/** The name every connection of this tool gives itself (CLIENT SETNAME; a server that refuses it is not asked again). */
export const toolConnectionName = 'migrate';

function ioredisOptions(address: EndpointAddress, options: EndpointOptions): RedisOptions {
  const redisOptions: RedisOptions = {
    host: address.host,
    port: address.port,
    db: address.db,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    // Named, so a fenced switch can tell the application's connections from the tool's (src/cutover/write-pause.ts).
    connectionName: toolConnectionName,
    // Our commands are re-copies and reads: one cut off by a lost connection fails (ioredis-port.ts runPipeline) and
    // its batch's retry decides, never a blind resend after the reconnect that could land after a newer copy.
    autoResendUnfulfilledCommands: false,
    // No reconnect loop before the first successful connect: a bad address fails fast with a clear message.
    retryStrategy: () => null,
  };
  if (address.username !== undefined) redisOptions.username = address.username;
  if (address.password !== undefined) redisOptions.password = address.password;
  // The scheme decides TLS; --tls-ca and --tls-insecure only tune it, so they may be given with a plain other end.
  if (address.tls) redisOptions.tls = tlsOptions(address, options);
  return redisOptions;
}

function tlsOptions(address: EndpointAddress, options: EndpointOptions): ConnectionOptions {
  const tls: ConnectionOptions = { rejectUnauthorized: !options.tlsInsecure };
  if (!isIP(address.host)) tls.servername = address.host; // SNI takes host names only
  if (options.tlsCaFile) {
    try {
      // Added to the public roots, not instead of them: one flag serves both ends (Upstash uses a public CA). One
      // context for every connection: built from `ca` on each, it parsed the ~140 roots each time (~10 ms of CPU).
      tls.secureContext = createSecureContext({
        ca: [...rootCertificates, readFileSync(options.tlsCaFile, 'utf8')],
      });
    } catch (error) {
      throw new MigrateError(`${options.role}: cannot read --tls-ca file ${options.tlsCaFile}`, {
        code: ExitCode.usage,
        hint: 'pass the path of a PEM file holding the CA certificate',
        cause: error,
      });
    }
  }
  return tls;
}
