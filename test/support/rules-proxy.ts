/**
 * One client connection of the Serverless-rules endpoint: every request is parsed; what Serverless refuses is
 * answered here, everything else goes to the backend unchanged. Replies reach the client in request order: a
 * refusal queued behind forwarded requests waits for their replies (pipelining). MULTI keeps Redis's semantics (a
 * refused command aborts the EXEC), and a connection that subscribes becomes a plain pipe in both directions.
 */
import type { Socket } from 'node:net';
import { errorReply, Pending, parseRequest, type RequestHead, skipReply } from './resp.js';
import { type Refusal, type RefusalKind, refusalOf } from './serverless-rules.js';

/** A reply owed to the client: the backend's (optionally replaced by `reply`), or one made here. */
interface Owed {
  from: 'backend' | 'here';
  reply?: Buffer;
  /** The backend's replies from here on are passed through as they come (pub/sub). */
  pipe?: boolean;
}

export interface SeenRefusal extends Refusal {
  command: string;
  /** The first arguments, as latin1 text (for assertions and for telling a deliberate probe apart). */
  args: string[];
}

/** What the front has seen, over all its connections. */
export class FrontTally {
  requests = 0;
  readonly refusals: SeenRefusal[] = [];

  /** Refusals by kind. */
  counts(): Partial<Record<RefusalKind, number>> {
    const counts: Partial<Record<RefusalKind, number>> = {};
    for (const refusal of this.refusals) counts[refusal.kind] = (counts[refusal.kind] ?? 0) + 1;
    return counts;
  }

  reset(): void {
    this.requests = 0;
    this.refusals.length = 0;
  }
}

/** The reply of a request passed on unchanged: one shared object, as most requests are. */
const forwarded: Owed = { from: 'backend' };

/** A queue whose shift does not move the rest (a pipeline owes hundreds of replies at once). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.head++;
    // Drop what was taken once it is most of the array, so a connection that never drains stays bounded.
    if (this.head === this.items.length || (this.head > 4096 && this.head * 2 > this.items.length)) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

const subscribing = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const discard = Buffer.from('*1\r\n$7\r\nDISCARD\r\n');
const execAbort = errorReply('EXECABORT Transaction discarded because of previous errors.');

export class RulesProxyConnection {
  private readonly inbound = new Pending();
  private readonly outbound = new Pending();
  private readonly owed = new Fifo<Owed>();
  private clientPipe = false;
  private backendPipe = false;
  private inMulti = false;
  private multiRefused = false;

  constructor(
    private readonly client: Socket,
    private readonly backend: Socket,
    private readonly seen: FrontTally,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    backend.on('data', (chunk: Buffer) => this.fromBackend(chunk));
    for (const [a, b] of [
      [client, backend],
      [backend, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  }

  private fromClient(chunk: Buffer): void {
    if (this.clientPipe) {
      this.backend.write(chunk);
      return;
    }
    this.inbound.push(chunk);
    const buf = this.inbound.take();
    if (!buf) return;
    let at = 0;
    let need = 0;
    let runFrom = 0; // start of the requests forwarded as one write
    const flushRun = (to: number) => {
      if (to > runFrom) this.backend.write(buf.subarray(runFrom, to));
    };
    for (;;) {
      const request = parseRequest(buf, at);
      if ('need' in request) {
        need = request.need;
        break;
      }
      this.seen.requests++;
      const answer = this.answerHere(request);
      if (answer) {
        flushRun(at);
        runFrom = request.end;
        if (answer === discard) {
          this.backend.write(discard);
          this.owed.push({ from: 'backend', reply: execAbort });
        } else this.owed.push({ from: 'here', reply: answer });
      } else if (subscribing.has(request.name)) {
        // From here on the connection is a pipe: pushes arrive unasked, so replies can no longer be counted.
        this.owed.push({ from: 'backend', pipe: true });
        this.clientPipe = true;
        flushRun(buf.length);
        this.deliver();
        return;
      } else this.owed.push(forwarded);
      at = request.end;
    }
    flushRun(at);
    this.inbound.keep(buf, at, need);
    this.deliver();
  }

  /** The reply made here for a refused request (or `discard` for an EXEC that must abort); undefined to forward. */
  private answerHere(request: RequestHead): Buffer | undefined {
    if (request.name === 'MULTI') this.inMulti = true;
    if (request.name === 'EXEC' || request.name === 'DISCARD') {
      const abort = request.name === 'EXEC' && this.multiRefused;
      this.inMulti = false;
      this.multiRefused = false;
      return abort ? discard : undefined;
    }
    const refusal = refusalOf(request);
    if (!refusal) return undefined;
    if (this.inMulti) this.multiRefused = true;
    this.seen.refusals.push({
      ...refusal,
      command: request.name,
      args: request.args.map((arg) => arg.toString('latin1', 0, 200)),
    });
    return errorReply(refusal.message);
  }

  private fromBackend(chunk: Buffer): void {
    if (this.backendPipe) {
      this.client.write(chunk);
      return;
    }
    this.outbound.push(chunk);
    this.deliver();
  }

  /** Sends the client every reply now complete, in the order owed. */
  private deliver(): void {
    const buf = this.outbound.take();
    if (!buf) {
      this.deliverMadeHere();
      return;
    }
    let at = 0;
    let need = 0;
    let runFrom = 0;
    const flushRun = (to: number) => {
      if (to > runFrom) this.client.write(buf.subarray(runFrom, to));
    };
    while (this.owed.size > 0) {
      const head = this.owed.peek()!;
      if (head.pipe) {
        this.owed.shift();
        this.backendPipe = true;
        flushRun(buf.length);
        return;
      }
      if (head.from === 'here') {
        flushRun(at);
        runFrom = at;
        this.client.write(head.reply!);
        this.owed.shift();
        continue;
      }
      const end = skipReply(buf, at);
      if (typeof end !== 'number') {
        need = end.need;
        break;
      }
      if (head.reply) {
        flushRun(at);
        this.client.write(head.reply);
        runFrom = end;
      }
      this.owed.shift();
      at = end;
    }
    // Nothing owed yet more bytes: out-of-band data (a RESP3 push); pass it on.
    if (this.owed.size === 0) at = buf.length;
    flushRun(at);
    this.outbound.keep(buf, at, need);
  }

  /** With no backend bytes to read: the replies made here that are next in line. */
  private deliverMadeHere(): void {
    for (let head = this.owed.peek(); head && head.from === 'here'; head = this.owed.peek()) {
      this.client.write(head.reply!);
      this.owed.shift();
    }
    if (this.owed.peek()?.pipe) {
      this.owed.shift();
      this.backendPipe = true;
    }
  }
}
