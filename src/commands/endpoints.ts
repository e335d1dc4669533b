import { type Command, Option } from 'commander';
import { usageError } from '../errors.js';
import { openEndpoint } from '../redis/connect.js';
import type { EndpointOptions } from '../redis/endpoint-options.js';
import type { RedisPort } from '../redis/port.js';
import { upstashDefaultRate } from '../redis/rate-limit.js';
import { wholeNumber } from './parse.js';

/** The flags every command shares to reach the source and the target. */
export interface EndpointFlags {
  source?: string;
  target?: string;
  sourceToken?: string;
  sourceCluster?: boolean;
  targetCluster?: boolean;
  tlsCa?: string;
  tlsInsecure?: boolean;
}

export function addEndpointFlags(command: Command): Command {
  return command
    .option(
      '--source <url>',
      'source URL: redis://, rediss:// (TLS) or https:// (Upstash REST) [env: MIGRATE_SOURCE_URL]',
    )
    .option('--target <url>', 'target URL: redis:// or rediss:// [env: MIGRATE_TARGET_URL]')
    .option(
      '--source-token <token>',
      'Upstash REST token for an https:// source [env: UPSTASH_REDIS_REST_TOKEN]',
    )
    .option('--source-cluster', 'treat the source as a cluster (detected from INFO otherwise)')
    .option('--target-cluster', 'treat the target as a cluster (detected from INFO otherwise)')
    .option('--tls-ca <file>', 'PEM file with an extra CA to trust for TLS endpoints')
    .option('--tls-insecure', 'do not verify TLS certificates (only for testing)');
}

/** `--rate`, for the commands that read the whole source (its default is applied once the source is open). */
export const rateOption = (): Option =>
  new Option(
    '--rate <n>',
    `cap on source commands per second (default: none; ${upstashDefaultRate} for Upstash)`,
  ).argParser(wholeNumber('--rate', 1));

type Role = 'source' | 'target';

/** The options to open one end, from flags or the environment. */
export function endpointOptions(
  flags: EndpointFlags,
  role: Role,
  env: NodeJS.ProcessEnv = process.env,
): EndpointOptions {
  const url =
    role === 'source'
      ? (flags.source ?? env.MIGRATE_SOURCE_URL ?? env.UPSTASH_REDIS_REST_URL)
      : (flags.target ?? env.MIGRATE_TARGET_URL);
  if (!url) {
    const variable = role === 'source' ? 'MIGRATE_SOURCE_URL' : 'MIGRATE_TARGET_URL';
    throw usageError(`no ${role} given`, `pass --${role} <url> or set ${variable}`);
  }
  return {
    role,
    url,
    cluster: role === 'source' ? flags.sourceCluster : flags.targetCluster,
    tlsCaFile: flags.tlsCa,
    tlsInsecure: flags.tlsInsecure,
    token: role === 'source' ? (flags.sourceToken ?? env.UPSTASH_REDIS_REST_TOKEN) : undefined,
  };
}

/** Opens both ends, closing the first if the second fails. */
export async function openBoth(
  flags: EndpointFlags,
): Promise<{ source: RedisPort; target: RedisPort; close(): Promise<void> }> {
  const sourceOptions = endpointOptions(flags, 'source');
  const targetOptions = endpointOptions(flags, 'target');
  const source = await openEndpoint(sourceOptions);
  let target: RedisPort;
  try {
    target = await openEndpoint(targetOptions);
  } catch (error) {
    await source.close();
    throw error;
  }
  return {
    source,
    target,
    close: async () => {
      await Promise.allSettled([source.close(), target.close()]);
    },
  };
}
