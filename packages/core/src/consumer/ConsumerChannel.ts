import type { Channel } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { AuxiliaryQueues } from '../topology/auxiliaryQueues.js';
import { declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { ChannelAcks } from './ChannelAcks.js';
import { type LivePrefetchMechanism, livePrefetchMechanism } from './livePrefetch.js';
import { RecentAcks } from './RecentAcks.js';
import { BROKER_REPLY_MS, within } from './wait.js';

/** Where deliveries go, with the generation of the channel they arrived on. */
type OnMessage = (message: ReceivedMessage, generation: number) => void;

/** What the consumer hears from its channel. */
export interface ChannelListener {
  /** The channel of `generation` closed: by the broker, with the connection, or by us. */
  closed(generation: number, current: boolean): void;
  /** The broker cancelled the subscription (the queue was deleted). */
  cancelled(): void;
  failed(reason: string): void;
  /** A retry queue or DLQ of this quorum consumer is classic (made by an earlier Warren) and is kept so. */
  keptClassic(queue: string): void;
}

/**
 * A consumer's own amqplib channel: topology, prefetch, the subscription, and acks. Every open
 * bumps the generation; a delivery's tag is valid only on the generation it arrived on, so a
 * settle for a delivery of a closed channel is refused (an ack there would fail, or on a new
 * channel hit another message's tag: 406). The only consumer file that touches amqplib.
 */
export class ConsumerChannel {
  #channel: Channel | undefined;
  #generation = 0;
  #tag: string | undefined;
  #subscribing: Promise<void> | undefined;
  #opens = 0;
  #prefetch: number;
  #mechanism: LivePrefetchMechanism = 'resubscribe';
  /** The window the broker has for this channel's subscription now (what was last applied). */
  #applied = 0;
  /** setPrefetch() changes, one after another. */
  #prefetchChange: Promise<void> = Promise.resolve();
  #onMessage: OnMessage | undefined;
  /** The types of this consumer's retry queues and DLQ, as found on the broker (quorum consumers). */
  readonly auxiliary: AuxiliaryQueues;
  /** The current channel's last acks: when it dies, they may not have reached the broker. */
  readonly recentAcks: RecentAcks;
  /** Acks and nacks of the current channel, acks batched: see ChannelAcks. */
  readonly #settling = new ChannelAcks(() => this.#channel);

  constructor(
    readonly connection: ConnectionManager,
    readonly options: ResolvedConsumerOptions,
    readonly listener: ChannelListener,
  ) {
    this.#prefetch = options.prefetch;
    this.recentAcks = new RecentAcks(options.prefetch);
    this.auxiliary = new AuxiliaryQueues(options, {
      createChannel: () => connection.createChannel(),
      keptClassic: (queue) => listener.keptClassic(queue),
    });
  }

  /** The prefetch window now: the configured one, or what setPrefetch() made it (kept across reopens). */
  get prefetch(): number {
    return this.#prefetch;
  }

  get generation(): number {
    return this.#generation;
  }
  get isOpen(): boolean {
    return this.#channel !== undefined;
  }
  /** Subscribed, or subscribing. */
  get isConsuming(): boolean {
    return this.#tag !== undefined || this.#subscribing !== undefined;
  }
  get opens(): number {
    return this.#opens;
  }

  /** Whether a delivery of `generation` can still be settled: its channel is the open one. */
  isLive(generation: number): boolean {
    return this.#channel !== undefined && generation === this.#generation;
  }

  /**
   * Opens a fresh channel: declares the topology (with `delaysMs` retry queues) and sets the
   * prefetch. If `keep()` says no by then (the consumer began to stop), closes it again.
   */
  async open(delaysMs: Iterable<number>, keep: () => boolean): Promise<boolean> {
    this.#settling.flush();
    const channel = await this.connection.createChannel();
    const generation = ++this.#generation;
    this.#opens++;
    this.#settling.forget();
    this.recentAcks.take();
    channel.on('error', (error: Error) => this.listener.failed(`channel error: ${error.message}`));
    channel.on('close', () => {
      const current = generation === this.#generation;
      if (current) {
        this.#channel = undefined;
        this.#tag = undefined;
      }
      this.listener.closed(generation, current);
    });
    channel.on('cancel', () => {
      if (generation !== this.#generation) return;
      this.#tag = undefined;
      this.listener.cancelled();
    });
    try {
      await declareConsumerTopology(channel, this.options, delaysMs, this.auxiliary);
      this.#mechanism = livePrefetchMechanism(channel.connection.serverProperties ?? {}, this.options);
      // The window as it is now; a setPrefetch() during these round trips is applied once the channel is ours.
      const window = this.#prefetch;
      await channel.prefetch(this.#mechanism === 'global' ? this.options.prefetch : window);
      // A window narrowed before this open (a reconnect, or a policy at start): the channel-wide limit.
      if (this.#mechanism === 'global' && window < this.options.prefetch) await channel.prefetch(window, true);
      this.#applied = window;
    } catch (error) {
      if (generation === this.#generation) this.#generation++;
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (!keep()) {
      this.#generation++;
      await within(channel.close(), BROKER_REPLY_MS);
      return false;
    }
    this.#channel = channel;
    if (this.#prefetch !== this.#applied) this.#prefetchChange = this.#prefetchChange.then(() => this.#applyPrefetch());
    return true;
  }

  /** Ready messages and consumers of the queue (a passive declare on a side channel); undefined if it cannot tell within 5 s. */
  async queueStats(): Promise<{ ready: number; consumers: number } | undefined> {
    let answer: { ready: number; consumers: number } | undefined;
    const asked = withSideChannel(this.connection, async (ch) => {
      const q = await ch.checkQueue(this.options.queue);
      answer = { ready: q.messageCount, consumers: q.consumerCount };
    });
    await within(asked, 5000);
    return answer;
  }

  /** Subscribes; deliveries carry the generation they arrived on. */
  async consume(onMessage: OnMessage): Promise<void> {
    const channel = this.#channel;
    if (channel === undefined || this.isConsuming) return;
    this.#onMessage = onMessage;
    await this.#changeSubscription(this.#subscribe(channel, this.#generation, onMessage));
  }

  async #subscribe(channel: Channel, generation: number, onMessage: OnMessage): Promise<void> {
    const ok = await channel.consume(
      this.options.queue,
      (msg) => {
        // null is a broker cancel; the channel's 'cancel' event handles it.
        if (msg === null) return;
        if (generation === this.#generation) this.#settling.delivered(msg.fields.deliveryTag);
        onMessage(msg as unknown as ReceivedMessage, generation);
      },
      { noAck: false },
    );
    if (generation === this.#generation) this.#tag = ok.consumerTag;
  }

  /** While a subscription is being made or swapped, the consumer counts as consuming, and cancel() waits for it. */
  async #changeSubscription(change: Promise<void>): Promise<void> {
    this.#subscribing = change;
    try {
      await change;
    } finally {
      if (this.#subscribing === change) this.#subscribing = undefined;
    }
  }

  /** Cancels the subscription (at most BROKER_REPLY_MS: a stalled channel must not hold us up). */
  async cancel(): Promise<void> {
    // Deliveries can arrive before basic.consume's answer: wait for the tag to cancel it.
    if (this.#subscribing !== undefined) await within(this.#subscribing, BROKER_REPLY_MS);
    const channel = this.#channel;
    const tag = this.#tag;
    this.#tag = undefined;
    if (channel === undefined || tag === undefined) return;
    await within(channel.cancel(tag), BROKER_REPLY_MS);
  }

  /**
   * A round trip (basic.qos, answered in order): when it returns, the broker has every ack sent
   * before it. amqplib sends acks on its next write; a process that dies at once would lose them.
   */
  async roundTrip(): Promise<void> {
    // Acks decided this turn are written first, so the round trip answers after them too.
    this.#settling.flush();
    await this.#channel?.prefetch(this.#perConsumer()).catch(() => undefined);
  }

  /** How this channel changes a live window: see livePrefetch.ts. */
  get prefetchMechanism(): LivePrefetchMechanism {
    return this.#mechanism;
  }

  /**
   * Changes the prefetch window of the live subscription, up to the configured prefetch. RabbitMQ
   * applies a per-consumer basic.qos only to consumers started after it, so the window moves by a
   * channel-wide (global) qos or by re-subscribing: see livePrefetch.ts and docs/lifecycle.md
   * ("A live prefetch window"). Kept across reopens; without a channel, the next open applies it.
   */
  async setPrefetch(n: number): Promise<void> {
    const most = this.options.prefetch;
    if (!(Number.isInteger(n) && n >= 1 && n <= most)) throw new RangeError(`prefetch must be a whole number from 1 to ${most}, got ${n}`);
    this.#prefetch = n;
    this.#prefetchChange = this.#prefetchChange.then(() => this.#applyPrefetch());
    await this.#prefetchChange;
  }

  /** The per-consumer qos a subscription is made with: the ceiling under a global window, else the window itself. */
  #perConsumer(): number {
    return this.#mechanism === 'global' ? this.options.prefetch : this.#prefetch;
  }

  async #applyPrefetch(): Promise<void> {
    const channel = this.#channel;
    const n = this.#prefetch;
    if (channel === undefined || n === this.#applied) return;
    const generation = this.#generation;
    try {
      if (this.#mechanism === 'global') {
        // At the ceiling the channel-wide limit is lifted (0): the broker then checks no channel limit per delivery.
        await channel.prefetch(n < this.options.prefetch ? n : 0, true);
      } else {
        await channel.prefetch(n);
        // A subscription being made may have been asked for before this qos: swap it once made.
        await this.#subscribing?.catch(() => undefined);
        const tag = this.#tag;
        if (tag !== undefined && this.#subscribing === undefined && this.#onMessage !== undefined) {
          await this.#changeSubscription(this.#resubscribe(channel, generation, tag, this.#onMessage));
        }
      }
      if (generation === this.#generation) this.#applied = n;
    } catch {
      // The channel died: its reopen applies the window.
    }
  }

  /** Swaps the subscription for one made under the new per-consumer qos; deliveries of the old one stay valid. */
  async #resubscribe(channel: Channel, generation: number, tag: string, onMessage: OnMessage): Promise<void> {
    await channel.cancel(tag);
    if (generation !== this.#generation || this.#tag !== tag) return;
    this.#tag = undefined;
    await this.#subscribe(channel, generation, onMessage);
  }

  /** ack (batched: see ChannelAcks), or nack with or without requeue, on the delivery's own channel; false if that channel is gone. */
  settle(message: ReceivedMessage, generation: number, how: 'ack' | 'requeue' | 'drop'): boolean {
    const channel = this.#channel;
    if (channel === undefined || generation !== this.#generation) return false;
    if (how !== 'ack') return this.#settling.nack(channel, message, how === 'requeue');
    this.#settling.ack(message);
    this.recentAcks.add(message.properties.messageId);
    return true;
  }

  /** Lets go of the channel (its deliveries' tags die with it) and closes it, at most BROKER_REPLY_MS. */
  async close(): Promise<void> {
    // Acks decided before the close must reach the broker, or it requeues their messages: duplicates.
    this.#settling.flush();
    const channel = this.#channel;
    this.#channel = undefined;
    this.#tag = undefined;
    this.#generation++;
    this.#settling.forget();
    if (channel !== undefined) await within(channel.close(), BROKER_REPLY_MS);
  }
}

/**
 * Runs `fn` on a short-lived channel of its own (a passive declare, declaring the topology
 * again), leaving the consumer's channel and its deliveries alone; always closes it.
 */
export async function withSideChannel<T>(connection: ConnectionManager, fn: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    return await fn(channel);
  } finally {
    void within(channel.close(), BROKER_REPLY_MS);
  }
}

/**
 * A subscription to a fanout exchange through an exclusive, server-named queue of this process's
 * own: notices meant for every worker (a request's cancel). Restored after each reconnect; a
 * failure to set it up is logged, never fatal (what it carries is best effort).
 */
export class FanoutSubscription {
  #channel: Channel | undefined;
  #closed = false;
  readonly #disposables: Array<{ dispose(): void }> = [];

  constructor(
    readonly connection: ConnectionManager,
    readonly exchange: string,
    readonly onMessage: (content: Buffer) => void,
    readonly onProblem: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    this.#disposables.push(this.connection.events.on('connected', () => void this.#open()));
    await this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const d of this.#disposables.splice(0)) d.dispose();
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel !== undefined) await within(channel.close(), BROKER_REPLY_MS);
  }

  async #open(): Promise<void> {
    if (this.#closed || this.connection.state !== 'connected') return;
    try {
      const channel = await this.connection.createChannel();
      channel.on('error', () => undefined);
      await channel.assertExchange(this.exchange, 'fanout', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, this.exchange, '');
      await channel.consume(queue, (msg) => msg !== null && this.onMessage(msg.content), { noAck: true });
      if (this.#closed) {
        await within(channel.close(), BROKER_REPLY_MS);
        return;
      }
      this.#channel = channel;
    } catch (error) {
      this.onProblem(error as Error);
    }
  }
}
