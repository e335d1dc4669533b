/**
 * A small HTTP server that speaks Upstash's REST protocol in front of a real redis-server: POST / (one
 * command), POST /pipeline, POST /multi-exec; `Authorization: Bearer <token>` (401 otherwise);
 * `Upstash-Encoding: base64` makes every string result base64 except the status "OK"; bodies are
 * `{"result":…}` / `{"error":…}` (400 for a failed single command). It counts the commands it ran the
 * way Upstash bills them (each pipeline entry is one) and can inject an error, e.g. a quota reply.
 *
 * It talks RESP itself (not through ioredis) so it can tell a status reply ("OK") from a bulk string
 * that holds the text "OK", as Upstash does.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { track, untrack } from './registry.js';

export interface RestServerOptions {
  /** @default 'test-token' */
  token?: string;
  /** Bodies larger than this get 413, like Upstash's request-size limit. @default 10 MB */
  maxBodyBytes?: number;
}

export interface InjectedFailure {
  /** Commands that still run normally before the failure starts. */
  afterCommands: number;
  message: string;
  /** Answer the whole request with this status and `{error}`; otherwise each entry gets `{error}`. */
  status?: number;
}

export interface TestRestServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string;
  /** Commands executed, counted as Upstash bills them. */
  readonly commands: number;
  /** HTTP requests received, by path. */
  readonly requests: Readonly<Record<string, number>>;
  /** Largest request body received, in bytes. */
  readonly largestBody: number;
  /** Commands seen, upper-cased names, in order (for assertions on what was sent). */
  readonly commandNames: readonly string[];
  /** From now on (after `afterCommands` more), every command fails with `message`. */
  inject(failure: InjectedFailure | undefined): void;
  resetCounts(): void;
  stop(): Promise<void>;
}

type Resp = { status: string } | { error: string } | number | Buffer | null | Resp[];

export async function startRestServer(
  redis: { host: string; port: number },
  options: RestServerOptions = {},
): Promise<TestRestServer> {
  const token = options.token ?? 'test-token';
  const maxBody = options.maxBodyBytes ?? 10_000_000;
  const resp = await RespConnection.open(redis.host, redis.port);
  let commands = 0;
  let largestBody = 0;
  let requests: Record<string, number> = {};
  let names: string[] = [];
  let failure: (InjectedFailure & { startsAt: number }) | undefined;

  const failing = () => failure !== undefined && commands >= failure.startsAt;
  const run = async (command: string[]): Promise<Resp> => {
    names.push(String(command[0]).toUpperCase());
    if (failing()) return { error: failure!.message };
    commands++;
    return resp.send(command);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, { error: String(error) }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').replace(/\/+$/, '') || '/';
    requests[path] = (requests[path] ?? 0) + 1;
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { error: 'Unauthorized' });
    const body = await readBody(req);
    largestBody = Math.max(largestBody, body.length);
    if (body.length > maxBody) return reply(res, 413, { error: 'ERR max request size exceeded' });
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const encode = (value: Resp) => toJson(value, base64);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(res, 400, { error: 'ERR failed to parse command' });
    }
    if (failure?.status !== undefined && failing())
      return reply(res, failure.status, { error: failure.message });
    if (path === '/') {
      if (!isCommand(parsed)) return reply(res, 400, { error: 'ERR failed to parse command' });
      const result = await run(parsed);
      return isError(result)
        ? reply(res, 400, { error: result.error })
        : reply(res, 200, { result: encode(result) });
    }
    if (!Array.isArray(parsed) || !parsed.every(isCommand))
      return reply(res, 400, { error: 'ERR failed to parse pipeline request' });
    if (path === '/pipeline') {
      const results = await Promise.all(parsed.map(run));
      return reply(
        res,
        200,
        results.map((r) => entry(r, encode)),
      );
    }
    if (path === '/multi-exec') {
      const results = await resp.transaction(parsed, failing() ? failure!.message : undefined);
      commands += parsed.length;
      for (const command of parsed) names.push(String(command[0]).toUpperCase());
      if (isError(results)) return reply(res, 400, { error: results.error });
      return reply(
        res,
        200,
        (results as Resp[]).map((r) => entry(r, encode)),
      );
    }
    return reply(res, 404, { error: `ERR unknown path ${path}` });
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    untrack(resource);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    resp.close();
  };
  const resource = {
    stop,
    killNow: () => {
      server.closeAllConnections();
      resp.close();
    },
  };
  track(resource);
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get commands() {
      return commands;
    },
    get requests() {
      return requests;
    },
    get largestBody() {
      return largestBody;
    },
    get commandNames() {
      return names;
    },
    inject(next) {
      failure = next && { ...next, startsAt: commands + next.afterCommands };
    },
    resetCounts() {
      commands = 0;
      largestBody = 0;
      requests = {};
      names = [];
    },
    stop,
  };
}

const isCommand = (value: unknown): value is string[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((v) => typeof v === 'string' || typeof v === 'number');
const isError = (value: Resp): value is { error: string } =>
  value !== null && typeof value === 'object' && 'error' in value;

function entry(result: Resp, encode: (value: Resp) => unknown): unknown {
  return isError(result) ? { error: result.error } : { result: encode(result) };
}

/** Upstash's JSON form of a reply: strings base64 (except the status OK) when asked, numbers as numbers. */
function toJson(value: Resp, base64: boolean): unknown {
  if (value === null || typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8');
  if (Array.isArray(value)) return value.map((v) => toJson(v, base64));
  if ('status' in value)
    return value.status === 'OK' || !base64 ? value.status : Buffer.from(value.status).toString('base64');
  return value.error;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A pipelined RESP2 connection: replies come back in the order commands were written. */
class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(value: Resp) => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', () => {});
  }

  static async open(host: string, port: number): Promise<RespConnection> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    return new RespConnection(socket);
  }

  send(command: Array<string | number>): Promise<Resp> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(command));
    });
  }

  /** MULTI, the commands, EXEC, written at once so no other request's commands interleave. */
  async transaction(commands: string[][], injected: string | undefined): Promise<Resp> {
    if (injected !== undefined) return { error: injected };
    const all = [['MULTI'], ...commands, ['EXEC']].map((c) => this.send(c));
    const results = await Promise.all(all);
    return results.at(-1) ?? null;
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      const parsed = parseResp(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      this.waiting.shift()?.(parsed.value);
    }
  }
}

function encodeCommand(command: Array<string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${command.length}\r\n`)];
  for (const arg of command) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one RESP2 value at `start`; undefined when the buffer does not hold all of it yet. */
function parseResp(buf: Buffer, start: number): { value: Resp; end: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd === -1) return undefined;
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buf[start]!)) {
    case '+':
      return { value: { status: line }, end: next };
    case '-':
      return { value: { error: line }, end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: Buffer.from(buf.subarray(next, next + length)), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Resp[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[start]}`);
  }
}
