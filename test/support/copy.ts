import { type CopyRun, copyKeys } from '../../src/copy/copy-keys.js';
import { type CopyOptions, defaultCopyOptions } from '../../src/copy/options.js';
import type { CopyReport } from '../../src/copy/report.js';
import { openEndpoint } from '../../src/redis/connect.js';
import type { RedisPort } from '../../src/redis/port.js';

/** A target by URL, or a TLS endpoint with the CA that signed it (a ServerlessEndpoint is one). */
export type TargetAddress = string | { url: string; ca?: string };

/** Opens a target as the CLI would with --target and --tls-ca. */
export const openTarget = (target: TargetAddress): Promise<RedisPort> =>
  typeof target === 'string'
    ? openEndpoint({ role: 'target', url: target })
    : openEndpoint({ role: 'target', url: target.url, tlsCaFile: target.ca });

/** Opens both ends, runs the copy engine in-process, and closes them. */
export async function copyBetween(
  sourceUrl: string,
  targetAddress: TargetAddress,
  options: Partial<CopyOptions> & { checkpointFile: string },
  run: CopyRun = {},
): Promise<CopyReport> {
  const source = await openEndpoint({ role: 'source', url: sourceUrl });
  const target = await openTarget(targetAddress);
  try {
    return await copyKeys(source, target, { ...defaultCopyOptions, ...options }, run);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

export async function withPort<T>(url: string, body: (port: RedisPort) => Promise<T>): Promise<T> {
  const port = await openEndpoint({ role: 'source', url });
  try {
    return await body(port);
  } finally {
    await port.close();
  }
}

/** The port with its exec replaced: tests count what is sent, or answer some commands the way a server would. */
export function withExec(port: RedisPort, exec: RedisPort['exec']): RedisPort {
  return {
    label: port.label,
    topology: port.topology,
    upstash: port.upstash,
    stats: port.stats,
    nodes: () => port.nodes(),
    nodeOf: (key) => port.nodeOf(key),
    exec,
    keepReconnecting: () => port.keepReconnecting(),
    close: () => port.close(),
  };
}
