import { createHash } from 'node:crypto';
import { cmd, type RedisPort } from '../redis/port.js';

/**
 * Script bodies this client has seen (EVAL, SCRIPT LOAD, defineCommand), by SHA1: loaded on the side that becomes
 * the primary before a switch is acknowledged, and sent as EVAL when an EVALSHA meets a server that lacks it.
 */
export class KnownScripts {
  private readonly bodies = new Map<string, Buffer | string>();

  learn(body: Buffer | string): void {
    this.bodies.set(createHash('sha1').update(body).digest('hex'), body);
  }

  bodyOf(sha: Buffer | string): Buffer | string | undefined {
    return this.bodies.get(String(sha).toLowerCase());
  }

  /** SCRIPT LOAD of every known body on every master of `port` (best effort: NOSCRIPT recovery covers a miss). */
  async loadOn(port: RedisPort): Promise<void> {
    if (this.bodies.size === 0) return;
    const loads = [...this.bodies.values()].map((body) => cmd('SCRIPT', ['LOAD', body]));
    await Promise.all(port.nodes().map((node) => port.exec(loads, node).catch(() => [])));
  }
}
