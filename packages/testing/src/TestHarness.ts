import { randomUUID } from 'node:crypto';
import {
  type AppDefinition,
  type AppRunOptions,
  type ConsumerRuntime,
  deadLetterQueueName,
  type Outcome,
  type PublishOptions,
  retryQueueName,
  silentLogger,
  WarrenApp,
} from '@warren/core';
import * as amqp from 'amqplib';
import { BrokerAdmin } from './BrokerAdmin.js';
import { startTestBroker, type TestBroker } from './startTestBroker.js';

/** What became of one message, as the consumer settled it. */
export interface MessageOutcome {
  consumer: string;
  outcome: Outcome;
  /** 'acked' | 'retried' | 'dead-lettered' | 'requeued' */
  result: 'acked' | 'retried' | 'dead-lettered' | 'requeued';
  durationMs: number;
  settledOnBroker: boolean;
}

const RESULT = { ack: 'acked', retry: 'retried', 'dead-letter': 'dead-lettered', requeue: 'requeued' } as const;

export interface HarnessOptions extends AppDefinition {
  /** A broker to use; default `startTestBroker()`. */
  broker?: TestBroker;
  /** How to run the app; the broker is `broker`'s, so no `url`/`urls` here. */
  run?: Omit<AppRunOptions, 'url' | 'urls'>;
  /** Delete the consumers' queues (and their .dlq and .retry.<ms> queues) on stop. Default true. */
  cleanup?: boolean;
}

/**
 * Runs consumers in-process against a real broker, publishes, and waits for each message's
 * outcome: `await harness.publish('orders.placed', order)` resolves with `acked`,
 * `retried`, `dead-lettered` or `requeued` once the consumer settled it.
 */
export class TestHarness {
  readonly app: WarrenApp;
  readonly broker: TestBroker;
  readonly #ownBroker: boolean;
  readonly #cleanup: boolean;
  readonly #waiting = new Map<string, { resolve: (o: MessageOutcome) => void; timer: NodeJS.Timeout }>();
  readonly #seen = new Map<string, MessageOutcome[]>();

  private constructor(app: WarrenApp, broker: TestBroker, ownBroker: boolean, cleanup: boolean) {
    this.app = app;
    this.broker = broker;
    this.#ownBroker = ownBroker;
    this.#cleanup = cleanup;
    app.events.on('settled', (consumer, outcome, durationMs, settledOnBroker, messageId) => {
      if (messageId === undefined) return;
      const o: MessageOutcome = { consumer, outcome, result: RESULT[outcome.action], durationMs, settledOnBroker };
      const list = this.#seen.get(messageId) ?? [];
      list.push(o);
      this.#seen.set(messageId, list);
      const w = this.#waiting.get(messageId);
      if (w !== undefined) {
        clearTimeout(w.timer);
        this.#waiting.delete(messageId);
        w.resolve(o);
      }
    });
  }

  /** Starts the app's consumers against the broker (found with `startTestBroker()` unless given). */
  static async start(options: HarnessOptions): Promise<TestHarness> {
    const broker = options.broker ?? (await startTestBroker());
    const { broker: _b, run, cleanup, ...definition } = options;
    const app = await WarrenApp.create(definition, { logger: silentLogger(), shutdownGraceMs: 2000, ...run, urls: broker.url });
    await app.start();
    return new TestHarness(app, broker, options.broker === undefined, cleanup ?? true);
  }

  consumer(name: string): ConsumerRuntime {
    const c = this.app.consumers.find((x) => x.name === name || x.options.queue === name);
    if (c === undefined) throw new Error(`no consumer named ${name}`);
    return c;
  }

  /**
   * Publishes `body` to `queue` (with a confirm) and resolves with its first outcome. For a
   * message that will be retried, call `nextOutcome(messageId)` for the later ones.
   */
  async publish(
    queue: string,
    body: unknown,
    options: PublishOptions & { waitMs?: number } = {},
  ): Promise<MessageOutcome & { messageId: string }> {
    const messageId = options.messageId ?? randomUUID();
    const { waitMs, ...publishOptions } = options;
    const outcome = this.nextOutcome(messageId, waitMs);
    await this.app.publisher.send(queue, body, { ...publishOptions, messageId });
    return { ...(await outcome), messageId };
  }

  /** Resolves with the next settle of `messageId` (or one that already happened and was not yet taken). */
  nextOutcome(messageId: string, waitMs = 10_000): Promise<MessageOutcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(messageId);
        reject(new Error(`no outcome for message ${messageId} within ${waitMs} ms`));
      }, waitMs);
      this.#waiting.set(messageId, { resolve, timer });
    });
  }

  /** Every outcome seen for `messageId`, in order. */
  outcomes(messageId: string): readonly MessageOutcome[] {
    return this.#seen.get(messageId) ?? [];
  }

  /** Reads (and removes) what is in a consumer queue's DLQ. */
  async takeDeadLetters(queue: string): Promise<amqp.GetMessage[]> {
    const conn = await amqp.connect(this.broker.url);
    try {
      const ch = await conn.createChannel();
      const out: amqp.GetMessage[] = [];
      for (;;) {
        const m = await ch.get(deadLetterQueueName(queue), { noAck: true });
        if (m === false) return out;
        out.push(m);
      }
    } finally {
      await conn.close();
    }
  }

  /** Stops the app (gracefully), deletes its queues unless told not to, stops a broker it started. */
  async stop(): Promise<void> {
    try {
      await this.app.stop();
      if (this.#cleanup) {
        const admin = await BrokerAdmin.open(this.broker);
        for (const { options } of this.app.consumers) {
          // The configured delay queues by name too: without rabbitmqctl, cleanup cannot list them.
          admin.trackQueue(options.queue, ...options.retry.delaysMs.map((d) => retryQueueName(options.queue, d)));
        }
        await admin.cleanup();
      }
    } finally {
      if (this.#ownBroker) await this.broker.stop();
    }
  }
}
