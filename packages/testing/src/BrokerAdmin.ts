import { parseBrokerUrl } from '@warren/core';
import * as amqp from 'amqplib';
import { erlangBinary, localNode } from './localNode.js';
import { RabbitmqctlNotFoundError, rabbitmqctl } from './rabbitmqctl.js';
import { startTestBroker, type TestBroker } from './startTestBroker.js';
import { warrenQueues } from './warrenQueues.js';

/**
 * A raw amqplib connection to set a test up and to look at the broker (never to stand in for
 * Warren), which remembers the queues and exchanges a test declares so `cleanup()` deletes them
 * with the queues Warren derived from them.
 */
export class BrokerAdmin {
  readonly #queues = new Set<string>();
  readonly #exchanges = new Set<string>();
  readonly #ownBroker: TestBroker | undefined;

  private constructor(
    /** The broker's AMQP URL. */
    readonly url: string,
    readonly connection: amqp.ChannelModel,
    /** A confirm channel for setup: declare, bind, publish, get. */
    readonly channel: amqp.ConfirmChannel,
    ownBroker: TestBroker | undefined,
  ) {
    this.#ownBroker = ownBroker;
  }

  /**
   * Connects to `broker` (a `TestBroker`, such as a harness's `broker`, or an AMQP URL); without
   * one, to the broker `startTestBroker()` finds, which `cleanup()` then stops.
   */
  static async open(broker?: TestBroker | string): Promise<BrokerAdmin> {
    const found = broker ?? (await startTestBroker());
    const url = typeof found === 'string' ? found : found.url;
    const connection = await amqp.connect(url, { clientProperties: { connection_name: 'warren-test-admin' } });
    const channel = await connection.createConfirmChannel();
    return new BrokerAdmin(url, connection, channel, broker === undefined ? (found as TestBroker) : undefined);
  }

  /** Registers queues for `cleanup()`, which also deletes their `.dlq` and `.retry.<ms>` queues. */
  trackQueue(...names: string[]): void {
    for (const n of names) this.#queues.add(n);
  }

  /** Registers exchanges for `cleanup()`. */
  trackExchange(...names: string[]): void {
    for (const n of names) this.#exchanges.add(n);
  }

  /** Number of ready messages, via a passive declare. */
  async depth(queue: string): Promise<number> {
    const ch = await this.connection.createChannel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async queueExists(queue: string): Promise<boolean> {
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
      await ch.close();
      return true;
    } catch {
      return false;
    }
  }

  /** Publishes each body (a Buffer as is, anything else as JSON) persistently, and waits for the confirms. */
  async sendMany(queue: string, bodies: Array<Buffer | object>, options: amqp.Options.Publish = {}): Promise<void> {
    for (const body of bodies) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const props = Buffer.isBuffer(body) ? options : { contentType: 'application/json', ...options };
      if (!this.channel.sendToQueue(queue, content, { persistent: true, ...props })) {
        await new Promise((r) => this.channel.once('drain', r));
      }
    }
    await this.channel.waitForConfirms();
  }

  /** Takes every ready message off a queue and returns them. */
  async drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await this.channel.get(queue, { noAck: true });
      if (m === false) return out;
      out.push(m);
    }
  }

  /**
   * Deletes the tracked exchanges, the tracked queues, their DLQs and every `<queue>.retry.<ms>`
   * Warren made for them (configured delays and RetryLater's ladder), then closes the connection
   * and stops a broker `open()` started. Delay queues are found in the local node's list of
   * queues (erl_call, else rabbitmqctl: localNode.ts); where rabbitmqctl is not on the PATH (a
   * remote or container broker) they are left behind.
   */
  async cleanup(): Promise<void> {
    try {
      const ch = await this.connection.createChannel();
      ch.on('error', () => undefined);
      const existing = this.#queues.size === 0 ? [] : await listQueues(parseBrokerUrl(this.url).vhost);
      for (const q of warrenQueues(this.#queues, existing)) await ch.deleteQueue(q).catch(() => undefined);
      for (const e of this.#exchanges) await ch.deleteExchange(e).catch(() => undefined);
      await ch.close().catch(() => undefined);
    } finally {
      // Closed whatever failed above: an open connection would keep the test's process alive.
      await this.connection.close().catch(() => undefined);
      await this.#ownBroker?.stop();
    }
  }
}

async function listQueues(vhost: string): Promise<string[]> {
  const node = await localNode();
  if (node !== undefined)
    return node.json<string[]>(`[element(4, amqqueue:get_name(Q)) || Q <- rabbit_amqqueue:list(${erlangBinary(vhost)})]`);
  try {
    return (await rabbitmqctl('list_queues', '-p', vhost, 'name', '--no-table-headers')).split('\n').map((l) => l.trim());
  } catch (error) {
    if (error instanceof RabbitmqctlNotFoundError) return [];
    throw error;
  }
}
