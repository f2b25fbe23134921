import type { Channel, Message } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { BROKER_REPLY_MS, within } from './wait.js';

/** What the consumer hears from its channel. */
export interface ChannelListener {
  /** The channel of `generation` closed: by the broker, with the connection, or by us. */
  closed(generation: number, current: boolean): void;
  /** The broker cancelled the subscription (the queue was deleted). */
  cancelled(): void;
  failed(reason: string): void;
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

  constructor(
    readonly connection: ConnectionManager,
    readonly options: ResolvedConsumerOptions,
    readonly listener: ChannelListener,
  ) {
    this.#prefetch = options.prefetch;
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
    const channel = await this.connection.createChannel();
    const generation = ++this.#generation;
    this.#opens++;
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
      await declareConsumerTopology(channel, this.options, delaysMs);
      await channel.prefetch(this.#prefetch);
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
    return true;
  }

  /** Subscribes; deliveries carry the generation they arrived on. */
  async consume(onMessage: (message: ReceivedMessage, generation: number) => void): Promise<void> {
    const channel = this.#channel;
    if (channel === undefined || this.isConsuming) return;
    const generation = this.#generation;
    const subscribing = channel
      .consume(
        this.options.queue,
        (msg) => {
          // null is a broker cancel; the channel's 'cancel' event handles it.
          if (msg !== null) onMessage(msg as unknown as ReceivedMessage, generation);
        },
        { noAck: false },
      )
      .then((ok) => {
        if (generation === this.#generation) this.#tag = ok.consumerTag;
      });
    this.#subscribing = subscribing;
    try {
      await subscribing;
    } finally {
      if (this.#subscribing === subscribing) this.#subscribing = undefined;
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
    await this.#channel?.prefetch(this.#prefetch).catch(() => undefined);
  }

  /**
   * Changes the prefetch window of the live subscription. RabbitMQ applies a per-consumer
   * basic.qos only to consumers started after it, so the new value is set and then taken up by
   * the subscription: see docs/lifecycle.md ("a live prefetch window").
   */
  async setPrefetch(n: number): Promise<void> {
    if (!(Number.isInteger(n) && n >= 1 && n <= 65_535)) throw new RangeError(`prefetch must be a whole number from 1 to 65535, got ${n}`);
    this.#prefetch = n;
    await this.#channel?.prefetch(n).catch(() => undefined);
  }

  /** ack, or nack with or without requeue, on the delivery's own channel; false if that channel is gone. */
  settle(message: ReceivedMessage, generation: number, how: 'ack' | 'requeue' | 'drop'): boolean {
    const channel = this.#channel;
    if (channel === undefined || generation !== this.#generation) return false;
    try {
      if (how === 'ack') channel.ack(message as unknown as Message);
      else channel.nack(message as unknown as Message, false, how === 'requeue');
      return true;
    } catch {
      return false;
    }
  }

  /** Lets go of the channel (its deliveries' tags die with it) and closes it, at most BROKER_REPLY_MS. */
  async close(): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    this.#tag = undefined;
    this.#generation++;
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
