import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { CONTENT_TYPE, jsonBody } from './messages.js';
import { publishWindowed } from './rawPublish.js';

export function benchQueueName(label: string): string {
  return `bench.${label}.${randomUUID().slice(0, 8)}`;
}

/** Declares a plain durable queue for a scenario, and deletes it after `fn` (on a fresh connection: a broker-wide close may have taken the admin's). */
export async function withQueue<T>(url: string, name: string, fn: (admin: amqp.Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(url, { clientProperties: { connection_name: `${name}:admin` } });
  conn.on('error', () => undefined);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    await ch.assertQueue(name, { durable: true });
    return await fn(ch);
  } finally {
    await conn.close().catch(() => undefined);
    await deleteQueue(url, name);
  }
}

async function deleteQueue(url: string, queue: string): Promise<void> {
  try {
    const conn = await amqp.connect(url);
    conn.on('error', () => undefined);
    try {
      const ch = await conn.createChannel();
      await ch.deleteQueue(queue);
    } finally {
      await conn.close().catch(() => undefined);
    }
  } catch {
    // Best effort: a queue named bench.* left behind is harmless and says where it came from.
  }
}

/**
 * A queue kept at an exact number of fresh messages between measurements: topped up to `n`
 * persistent 1 KiB JSON messages through a raw confirm channel when what is left is known to be
 * fresh (never delivered), else purged first (a subject that stopped may have handed back
 * redeliveries, which Warren would count as attempts) and filled. Not timed.
 */
export class Reservoir {
  #conn: amqp.ChannelModel | undefined;
  #ch: amqp.ConfirmChannel | undefined;
  /** Messages in the queue known never to have been delivered (the queue starts empty); undefined when unknown. */
  #fresh: number | undefined = 0;

  constructor(
    readonly url: string,
    readonly queue: string,
  ) {}

  async #channel(): Promise<amqp.ConfirmChannel> {
    if (this.#ch !== undefined) return this.#ch;
    const conn = await amqp.connect(this.url, { noDelay: true, clientProperties: { connection_name: `${this.queue}:fill` } });
    conn.on('error', () => undefined);
    conn.on('close', () => {
      this.#conn = undefined;
      this.#ch = undefined;
    });
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    this.#conn = conn;
    this.#ch = ch;
    return ch;
  }

  async purge(): Promise<void> {
    this.#fresh = undefined;
    await (await this.#channel()).purgeQueue(this.queue);
    this.#fresh = 0;
  }

  async depth(): Promise<number> {
    return (await (await this.#channel()).checkQueue(this.queue)).messageCount;
  }

  /** What the queue holds that the next measurement may count on: fill at least this many. */
  get fresh(): number {
    return this.#fresh ?? 0;
  }

  /**
   * After a measurement that started from `available`: when the queue lost exactly the `handled`
   * messages, the rest was never delivered (a delivered and requeued one would show as one more)
   * and is kept for the next fill, which then only tops up. Refilling 30,000 persistent messages
   * each time was most of a measurement's time.
   */
  measured(available: number, handled: number, left: number): void {
    this.#fresh = left === available - handled ? left : undefined;
  }

  async fill(n: number): Promise<void> {
    const ch = await this.#channel();
    let have = this.#fresh ?? -1;
    this.#fresh = undefined;
    if (have < 0 || have > n) {
      await ch.purgeQueue(this.queue);
      have = 0;
    }
    await publishWindowed(ch, this.queue, n - have, 1000, (i) => ({
      body: jsonBody(i),
      props: { persistent: true, contentType: CONTENT_TYPE, messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) },
    }));
    const depth = await this.depth();
    if (depth !== n) throw new Error(`${this.queue} holds ${depth} messages after the fill, expected ${n}`);
  }

  async close(): Promise<void> {
    await this.#conn?.close().catch(() => undefined);
  }
}
