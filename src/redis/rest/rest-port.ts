import type { Command, PortStats, RedisPort, Reply, Topology } from '../port.js';
import { scriptBodyOf } from '../script-runner.js';
import { scrubSecrets } from '../url.js';
import { binarySafe, hasBinaryArgs } from './binary-args.js';
import { httpFailure } from './http-errors.js';
import { decodeEntry, splitBySize, type WireEntry, wireCommand } from './wire.js';

export interface RestPortOptions {
  /** `https://host[:port]` of the Upstash REST API. */
  baseUrl: string;
  token: string;
  /** Redacted address, safe to print. */
  label: string;
  role: 'source' | 'target';
  /** Largest request body; bigger batches are split over several /pipeline requests. @default 10,000,000 */
  maxRequestBytes?: number;
  /** @default 60000 */
  requestTimeoutMs?: number;
}

/** Upstash refuses request bodies over 10 MB; stay under it. */
export const defaultMaxRequestBytes = 10_000_000;

/**
 * RedisPort over Upstash's REST API, speaking the wire protocol directly with fetch. Not through @upstash/redis:
 * its base64 decoder turns bytes into UTF-8 text (lossy for binary values) and its commands JSON-parse values
 * ("007" becomes 7), and a migration must never reinterpret data. Upstash REST is one logical node.
 */
export class RestPort implements RedisPort {
  readonly stats: PortStats = { commands: 0 };
  readonly topology: Topology = 'standalone';
  readonly upstash = true;
  readonly label: string;
  private readonly maxRequestBytes: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RestPortOptions) {
    this.label = options.label;
    this.maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;
  }

  nodes(): string[] {
    return ['main'];
  }

  nodeOf(): string {
    return 'main';
  }

  async exec(commands: Command[]): Promise<Reply[]> {
    if (commands.length === 0) return [];
    this.stats.commands += commands.length;
    const replies: Reply[] = new Array(commands.length).fill(null);
    const bodies: string[] = [];
    const sent: number[] = [];
    commands.forEach((command, index) => {
      const safe = hasBinaryArgs(command) ? binarySafe(command, scriptBodyOf) : command;
      if (safe instanceof Error) {
        replies[index] = safe;
        return;
      }
      const body = JSON.stringify(wireCommand(safe));
      if (Buffer.byteLength(body) + 2 > this.maxRequestBytes) {
        replies[index] = new Error(
          `command too large for one REST request (${Buffer.byteLength(body)} bytes); use the TCP endpoint`,
        );
        return;
      }
      bodies.push(body);
      sent.push(index);
    });
    for (const group of splitBySize(bodies, this.maxRequestBytes)) {
      const results = await this.pipeline(group.map((i) => bodies[i]!));
      group.forEach((i, j) => {
        replies[sent[i]!] = j < results.length ? results[j]! : new Error('no result');
      });
    }
    return replies;
  }

  keepReconnecting(): void {
    // every request is its own HTTP call: there is no connection to give up on
  }

  close(): Promise<void> {
    // Nothing to shut: fetch keeps no connection of ours open beyond the global pool's idle timeout.
    this.closing ??= Promise.resolve();
    return this.closing;
  }

  /** One POST /pipeline; entries keep their order. */
  private async pipeline(bodies: string[]): Promise<Reply[]> {
    const { baseUrl, token, role, label } = this.options;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/pipeline`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Upstash-Encoding': 'base64',
        },
        body: `[${bodies.join(',')}]`,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000),
      });
    } catch (error) {
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new Error(`${role}: cannot reach ${label}: ${scrubSecrets(reason, [token])}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      const failure = httpFailure(role, label, response.status, scrubSecrets(text, [token]));
      if (failure.kind === 'entries') return bodies.map(() => failure.error);
      throw failure.error;
    }
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      throw new Error(`${role}: ${label} answered something that is not JSON (HTTP ${response.status})`);
    }
    if (!Array.isArray(entries))
      throw new Error(`${role}: ${label} answered a /pipeline request without a result list`);
    return bodies.map((_, i) => decodeEntry(entries[i] as WireEntry | undefined));
  }
}
