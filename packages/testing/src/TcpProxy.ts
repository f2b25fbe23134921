/**
 * A loopback TCP proxy for network faults between a worker and the broker, in-process, no Docker:
 * point the app at `proxy.url(brokerUrl)` and break the path under it.
 *
 *   client <-> [proxy 127.0.0.1:<port>] <-> broker
 *
 * - stall():  keep both sockets open but forward nothing, for new connections too: heartbeats stop
 *             arriving, as behind a black-holing NAT or firewall. Bytes are held, not dropped
 *             (unless a side closes meanwhile: what was held for the other side goes with it).
 * - stallToClient(): hold only what the broker sends (its confirms, deliveries, replies and
 *             heartbeats) while the client's bytes still reach it: a publish that arrives whose
 *             confirm is lost with the connection.
 * - resume(): forward again, held bytes first (as TCP would retransmit them once the path is back).
 * - cut():    destroy both sides of every connection (FIN).
 * - reset():  `resetAndDestroy()` both sides (RST): the client reads ECONNRESET.
 * - refuse(): stop listening and cut: new connects get ECONNREFUSED until `accept()`.
 * - stallWhere(text) / resetWhere(text): the same for only the connections whose opening bytes
 *             contain `text`, such as a connection name (one of a worker's two connections).
 */
import * as net from 'node:net';
import { parseBrokerUrl } from '@warren/core';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** The client's first bytes (AMQP's connection.start-ok carries the client-provided connection name). */
  prelude: string;
  stalled: boolean;
}

const PRELUDE_BYTES = 4096;

export class TcpProxy {
  /** Connections accepted since start. */
  connections = 0;
  /** Bytes held back while stalled. */
  heldBytes = 0;
  readonly #pairs = new Set<Pair>();
  #held: Array<{ to: net.Socket; chunk: Buffer }> = [];
  readonly #target: { host: string; port: number };
  #server: net.Server | undefined;
  #port = 0;
  #stalled = false;
  #stalledToClient = false;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts a proxy on 127.0.0.1 (a free port) to `target`: the broker's AMQP URL, or its host and port. */
  static async start(target: string | { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(typeof target === 'string' ? hostAndPort(target) : target);
    await proxy.accept();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }
  /** Connections open right now. */
  get open(): number {
    return this.#pairs.size;
  }
  /** Whether stall() or stallToClient() holds bytes of every connection. */
  get stalled(): boolean {
    return this.#stalled || this.#stalledToClient;
  }

  /** `brokerUrl` (its credentials, vhost and query) through the proxy; `query`, if given, replaces its query. */
  url(brokerUrl: string, query?: string): string {
    const u = new URL(brokerUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.#port);
    if (query !== undefined) u.search = query;
    return u.toString();
  }

  stall(): void {
    this.#stalled = true;
  }

  /** Holds the broker's bytes to every client, for new connections too; the clients' bytes still go through. */
  stallToClient(): void {
    this.#stalledToClient = true;
  }

  /**
   * Stalls only the connections whose opening bytes contain `text`, e.g. a connection name such
   * as ':publish' (amqplib sends it in connection.start-ok): one of a worker's two connections.
   */
  stallWhere(text: string): number {
    let n = 0;
    for (const p of this.#pairs) {
      if (p.prelude.includes(text)) {
        p.stalled = true;
        n++;
      }
    }
    return n;
  }

  /** Resets (RST) only the connections whose opening bytes contain `text`; what they held is lost. */
  resetWhere(text: string): number {
    let n = 0;
    for (const p of [...this.#pairs]) {
      if (!p.prelude.includes(text)) continue;
      this.#pairs.delete(p);
      resetOrDestroy(p.client);
      resetOrDestroy(p.upstream);
      n++;
    }
    return n;
  }

  resume(): void {
    this.#stalled = false;
    this.#stalledToClient = false;
    for (const p of this.#pairs) p.stalled = false;
    const held = this.#held;
    this.#held = [];
    for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
  }

  cut(): number {
    const n = this.#pairs.size;
    for (const p of this.#pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.#pairs.clear();
    return n;
  }

  reset(): number {
    const n = this.#pairs.size;
    for (const p of this.#pairs) {
      resetOrDestroy(p.client);
      resetOrDestroy(p.upstream);
    }
    this.#pairs.clear();
    return n;
  }

  /** Stops listening (connects are refused) and cuts every connection. */
  async refuse(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens (again, on the same port once it has one). */
  async accept(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = net.createServer((client) => this.#onClient(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  #onClient(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect(this.#target.port, this.#target.host);
    const pair: Pair = { client, upstream, prelude: '', stalled: false };
    this.#pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (from === client && pair.prelude.length < PRELUDE_BYTES) pair.prelude += chunk.toString('latin1', 0, PRELUDE_BYTES);
        if (this.#stalled || pair.stalled || (this.#stalledToClient && to === client)) {
          this.heldBytes += chunk.length;
          this.#held.push({ to, chunk });
          return;
        }
        if (!to.destroyed) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }
}

function hostAndPort(url: string): { host: string; port: number } {
  const { hostname, port } = parseBrokerUrl(url);
  return { host: hostname, port };
}

function resetOrDestroy(socket: net.Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
