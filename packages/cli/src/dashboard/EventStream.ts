import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStreamOptions {
  /** Browsers (tabs) streaming at once; more are refused with 503. Default 16. */
  maxClients?: number;
  /** A client whose unsent output passes this is dropped (its EventSource reconnects and starts afresh). Default 1 MiB. */
  maxBufferedBytes?: number;
}

/**
 * Server-Sent Events to every open dashboard. Each event is serialised once for all clients.
 * A client that does not read (a suspended laptop, a stalled proxy) is dropped once its unsent
 * output passes `maxBufferedBytes`: the dashboard must not become the unbounded buffer the rest
 * of Warren avoids.
 */
export class EventStream {
  /** Each client, and how much unsent output it may have before it is dropped. */
  readonly #clients = new Map<ServerResponse, number>();
  readonly #maxClients: number;
  readonly #maxBufferedBytes: number;
  #closed = false;
  #dropped = 0;

  constructor(options: EventStreamOptions = {}) {
    this.#maxClients = options.maxClients ?? 16;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Clients dropped for not reading. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes a request as a stream; `first` is written to it alone, before any shared event. */
  attach(req: IncomingMessage, res: ServerResponse, first: () => Array<[event: string, data: unknown]>): void {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ error: this.#closed ? 'the app has stopped' : `at most ${this.#maxClients} dashboards stream at once` }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // The browser reconnects after 2 s if the stream breaks; each connection starts with a snapshot.
    res.write('retry: 2000\n\n');
    let firstBytes = 0;
    for (const [event, data] of first()) {
      const text = frame(event, data);
      firstBytes += Buffer.byteLength(text);
      res.write(text);
    }
    // The first events (a snapshot of a big app can be large) do not count against the bound.
    this.#clients.set(res, this.#maxBufferedBytes + firstBytes);
    req.on('close', () => this.#clients.delete(res));
  }

  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = frame(event, data);
    for (const [res, limit] of this.#clients) {
      if (res.writableLength > limit) {
        this.#clients.delete(res);
        this.#dropped++;
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  /** Ends every stream with a last event (an open stream would keep the server from closing) and refuses new ones. */
  close(event?: [string, unknown]): void {
    this.#closed = true;
    for (const res of this.#clients.keys()) res.end(event === undefined ? undefined : frame(event[0], event[1]));
    this.#clients.clear();
  }
}

function frame(event: string, data: unknown): string {
  // JSON has no raw newlines, so one data line carries it whole.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
