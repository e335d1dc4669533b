import type { Command, RedisPort, Reply } from './port.js';

/**
 * Caps the commands per second a port sends (Upstash caps throughput and bills per command). A token bucket with
 * one second of burst; a request bigger than the bucket waits for the time its commands are worth.
 */
export function rateLimited(port: RedisPort, commandsPerSecond: number): RedisPort {
  let tokens = commandsPerSecond;
  let last = Date.now();
  let queue: Promise<void> = Promise.resolve();

  const take = (count: number): Promise<void> => {
    const turn = queue.then(async () => {
      const now = Date.now();
      tokens = Math.min(commandsPerSecond, tokens + ((now - last) / 1000) * commandsPerSecond);
      last = now;
      tokens -= count;
      if (tokens < 0)
        await new Promise((resolve) => setTimeout(resolve, (-tokens / commandsPerSecond) * 1000));
    });
    queue = turn;
    return turn;
  };

  return {
    get label() {
      return port.label;
    },
    get topology() {
      return port.topology;
    },
    get upstash() {
      return port.upstash;
    },
    get stats() {
      return port.stats;
    },
    nodes: () => port.nodes(),
    nodeOf: (key) => port.nodeOf(key),
    async exec(commands: Command[], node?: string): Promise<Reply[]> {
      await take(commands.length);
      return port.exec(commands, node);
    },
    keepReconnecting: () => port.keepReconnecting(),
    close: () => port.close(),
  };
}

/** A safe default for Upstash, whose databases accept about 10,000 commands per second. */
export const upstashDefaultRate = 8000;

/** The cap on a source's commands per second: the one asked for, else Upstash's default for an Upstash source. */
export const sourceRate = (source: Pick<RedisPort, 'upstash'>, rate?: number): number | undefined =>
  rate ?? (source.upstash ? upstashDefaultRate : undefined);
