import { ExitCode, MigrateError, usageError } from '../../errors.js';
import type { EndpointOptions } from '../endpoint-options.js';
import { asText } from '../port.js';
import type { EndpointAddress } from '../url.js';
import { RestPort, type RestPortOptions } from './rest-port.js';

/** Opens an Upstash REST endpoint and proves the URL and token with one PING. */
export async function openRestPort(
  address: EndpointAddress,
  options: EndpointOptions,
  tuning: Pick<RestPortOptions, 'maxRequestBytes' | 'requestTimeoutMs'> = {},
): Promise<RestPort> {
  const { role } = options;
  if (!options.token) {
    throw usageError(
      `${role}: the REST endpoint ${address.label} needs a token`,
      'pass --source-token or set UPSTASH_REDIS_REST_TOKEN',
    );
  }
  if (address.username !== undefined || address.password !== undefined) {
    throw usageError(`${role}: put the REST token in --source-token, not in the URL ${address.label}`);
  }
  const port = new RestPort({
    ...tuning,
    baseUrl: `${address.protocol}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`,
    token: options.token,
    label: address.label,
    role,
    requestTimeoutMs: tuning.requestTimeoutMs ?? options.connectTimeoutMs ?? 60_000,
  });
  let pong: unknown;
  try {
    [pong] = await port.exec([{ name: 'PING', args: [] }]);
  } catch (error) {
    if (error instanceof MigrateError) throw error;
    throw new MigrateError(error instanceof Error ? error.message : String(error), {
      code: ExitCode.connect,
      hint: 'check the REST URL (https://<name>.upstash.io) and the network',
      cause: error,
    });
  }
  if (pong instanceof Error || asText(pong as Buffer) !== 'PONG') {
    throw new MigrateError(`${role}: ${address.label} does not answer like an Upstash REST endpoint`, {
      code: ExitCode.connect,
      hint: 'pass the REST URL from the Upstash console (UPSTASH_REDIS_REST_URL)',
    });
  }
  return port;
}
