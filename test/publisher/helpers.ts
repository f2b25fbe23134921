/** Helpers shared by the publisher integration tests (not a test file itself). */
import * as net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BrokerAdmin, connectionNameIn, rabbitmqctl } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';

/** What a rejection was, as a short string: the error class, and `written` for timeouts. Errors themselves are not kept (their stacks would dominate a heap measurement). */
export function rejectionKind(error: unknown): string {
  const e = error as Error & { written?: boolean };
  return e.name === 'PublishTimeoutError' ? `PublishTimeoutError(written=${String(e.written)})` : e.name;
}

/** Tracks `publish()` promises by message id so a test can check each one's fate against the queue. */
export class OutcomeLog {
  readonly resolved = new Set<string>();
  /** message id -> rejectionKind() */
  readonly rejected = new Map<string, string>();
  readonly #pending = new Set<Promise<void>>();

  track(id: string, p: Promise<void>): void {
    const settled = p.then(
      () => {
        this.resolved.add(id);
      },
      (error: unknown) => {
        this.rejected.set(id, rejectionKind(error));
      },
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  get settled(): number {
    return this.resolved.size + this.rejected.size;
  }

  /** Waits for every tracked publish; fails the test (instead of hanging) if one never settles. */
  async all(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.#pending.size} publishes still unsettled after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...this.#pending]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts by outcome: resolved, and each rejection kind. */
  summary(): Record<string, number> {
    const out: Record<string, number> = { resolved: this.resolved.size };
    for (const kind of this.rejected.values()) out[kind] = (out[kind] ?? 0) + 1;
    return out;
  }
}

let gcFn: (() => void) | undefined;
/** Heap plus Buffer memory after a full GC, in bytes (GC exposed at runtime: node --test passes no flags). */
export function liveBytes(): number {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export const MiB = 1024 * 1024;

/** Message ids of every message in `queue`, taking them off it: a no-ack consumer (basic.get per message is slow). */
export async function drainIds(admin: BrokerAdmin, queue: string): Promise<string[]> {
  const expected = await admin.depth(queue);
  const ids: string[] = [];
  if (expected === 0) return ids;
  const ch = await admin.connection.createChannel();
  try {
    await new Promise<void>((resolve, reject) => {
      ch.consume(
        queue,
        (m) => {
          if (m === null) return reject(new Error(`consumer of ${queue} cancelled`));
          ids.push(String(m.properties.messageId));
          if (ids.length === expected) resolve();
        },
        { noAck: true },
      ).catch(reject);
    });
  } finally {
    await ch.close().catch(() => undefined);
  }
  return ids;
}

/** connection.tune on channel 0, 12 bytes of arguments: channel_max (2), frame_max (4, at +13 from the frame start), heartbeat (2). */
const TUNE = Buffer.from([1, 0, 0, 0, 0, 0, 12, 0, 10, 0, 30]);

/**
 * A loopback proxy to the broker that lowers the frame_max offered in connection.tune, so the
 * client negotiates it and the broker enforces it, as a broker configured with that frame_max
 * would (the shared broker's own setting stays untouched).
 */
export async function frameMaxProxy(frameMax: number): Promise<{ url: string; close(): Promise<void> }> {
  const broker = new URL(BROKER_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(broker.port || 5672), broker.hostname);
    sockets.add(client).add(upstream);
    let tuned = false;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const at = tuned ? -1 : chunk.indexOf(TUNE);
      if (at >= 0) {
        chunk.writeUInt32BE(frameMax, at + 13);
        tuned = true;
      }
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `amqp://${broker.username}:${broker.password}@127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The frame_max the broker holds for the connection whose client-provided name starts with `prefix`. */
export async function brokerFrameMax(prefix: string): Promise<number | undefined> {
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'client_properties', 'frame_max', '--formatter', 'json')) as Array<{
    client_properties: unknown;
    frame_max: number;
  }>;
  return rows.find((row) => connectionNameIn(row.client_properties).startsWith(prefix))?.frame_max;
}
