/** What every kind of TestServer shares: its URL (with the --requirepass password) and the connections it opened. */
import { Redis, type RedisOptions } from 'ioredis';

export class Connections {
  readonly url: string;
  private readonly password: string | undefined;
  private readonly opened = new Set<Redis>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    args: readonly string[],
  ) {
    const passwordAt = args.indexOf('--requirepass');
    this.password = passwordAt >= 0 ? args[passwordAt + 1] : undefined;
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    this.url = `redis://${auth}${host}:${port}`;
  }

  open(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: this.host, port: this.port, password: this.password, ...options });
    this.opened.add(client);
    client.once('end', () => this.opened.delete(client));
    return client;
  }

  /** Closes what a test left open, before its server stops. */
  closeAll(): void {
    for (const client of this.opened) client.disconnect();
  }
}
