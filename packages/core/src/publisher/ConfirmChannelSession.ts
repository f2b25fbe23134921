import * as amqp from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { CANCEL_EXCHANGE, DIRECT_REPLY_TO } from '../message/headers.js';
import { AMQPLIB_FRAME_MAX, frameTooLarge } from './headerFrame.js';
import type { PublishProperties } from './PendingPublish.js';
import type { IncomingReply } from './RequestClient.js';

/** One message to write (a PendingPublish is one). */
export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: PublishProperties;
  /** Size of its content header frame when it has headers, else 0 (then it fits any frame_max). */
  readonly headerFrameBytes: number;
}

/** A basic.return: the broker could not route a `mandatory` message. */
export interface ReturnedMessage {
  readonly messageId: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly replyCode: number;
  readonly replyText: string;
}

export type ConfirmChannelEvents = {
  ack: [deliveryTag: number, multiple: boolean];
  nack: [deliveryTag: number, multiple: boolean];
  /** Comes before the ack of the same message. */
  return: [message: ReturnedMessage];
  /** amqplib's socket buffer is below its high-water mark again. */
  drain: [];
  /** Once: the channel is gone, with the error that closed it (undefined when its connection was lost). */
  closed: [error: Error | undefined];
  listenerError: [error: unknown, event: string];
};

/** The channel is closing: the message was not written and belongs on the next channel. */
export class ChannelClosingError extends Error {
  override readonly name = 'ChannelClosingError';
}

/**
 * One amqplib confirm channel, typed: amqplib's events in, `ack`/`nack`/`return`/`drain`/`closed`
 * out. The rest of publisher/ never sees amqplib.
 *
 * Delivery tags belong to one channel, so once this channel is closed, retired, or outlived by a
 * newer connection (`expireBefore`), it reports nothing more: a late ack of a dead channel must
 * never settle a message of the next one, whose tags start again at 1.
 */
export class ConfirmChannelSession {
  readonly events = new TypedEvents<ConfirmChannelEvents>();
  /** The connection generation it was opened on. */
  readonly generation: number;
  /** frame_max negotiated on its connection: a larger content header frame closes the connection. */
  readonly frameMax: number;
  readonly #channel: amqp.Channel;
  #live = true;
  #lastError: Error | undefined;

  /** `confirms: false` opens a plain channel: it never reports ack or nack (the Publisher's direct replies). */
  static async open(connection: ConnectionManager, confirms = true): Promise<ConfirmChannelSession> {
    const channel = confirms ? await connection.createConfirmChannel() : await connection.createChannel();
    return new ConfirmChannelSession(channel, connection.generation);
  }

  constructor(channel: amqp.Channel, generation: number) {
    this.#channel = channel;
    this.generation = generation;
    this.frameMax = negotiatedFrameMax(channel);
    channel.on('ack', (f: { deliveryTag: number; multiple: boolean }) => {
      if (this.#live) this.events.emit('ack', f.deliveryTag, f.multiple);
    });
    channel.on('nack', (f: { deliveryTag: number; multiple: boolean }) => {
      if (this.#live) this.events.emit('nack', f.deliveryTag, f.multiple);
    });
    channel.on('return', (message: amqp.Message) => {
      if (this.#live) this.events.emit('return', returned(message));
    });
    channel.on('drain', () => {
      if (this.#live) this.events.emit('drain');
    });
    // Kept for good: amqplib emits 'error' before 'close', and an unheard 'error' would throw.
    channel.on('error', (error: Error) => {
      this.#lastError = error;
    });
    channel.on('close', () => this.#lost(this.#lastError));
  }

  /** Whether it still reports: not closed, retired or outlived. */
  get live(): boolean {
    return this.#live;
  }

  /**
   * Writes one message. Returns false when amqplib's socket buffer is over its high-water mark
   * (the message was taken; write no more until 'drain'). Throws ChannelClosingError when the
   * channel is closing, InvalidPublishError when the message cannot go on this channel (its
   * header frame is over this connection's frame_max, or amqplib cannot encode it); either way
   * nothing was written.
   */
  publish(m: OutgoingMessage): boolean {
    // Accepted under a larger frame_max than this connection's (or before one was negotiated).
    if (m.headerFrameBytes > this.frameMax) throw frameTooLarge(m.headerFrameBytes, this.frameMax);
    try {
      return this.#channel.publish(m.exchange, m.routingKey, m.content, m.properties);
    } catch (error) {
      if (error instanceof amqp.IllegalOperationError) throw new ChannelClosingError(error.message, { cause: error });
      // Encoding failed before anything reached the socket: the channel is fine.
      throw new InvalidPublishError(`message cannot be encoded: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Gets this channel ready for request/reply: starts the one consumer of direct reply-to
   * (RabbitMQ refuses a request whose channel has none, closing it).
   */
  async prepareRequests(onReply: (reply: IncomingReply) => void): Promise<void> {
    await this.#channel.consume(
      DIRECT_REPLY_TO,
      (msg) => {
        if (msg === null || !this.#live) return;
        const p = msg.properties;
        onReply({
          correlationId: typeof p.correlationId === 'string' ? p.correlationId : undefined,
          content: msg.content,
          contentType: typeof p.contentType === 'string' ? p.contentType : undefined,
          headers: p.headers as Record<string, unknown> | undefined,
        });
      },
      { noAck: true },
    );
  }

  /**
   * Whether the cancel-notice exchange exists, declaring it if this user may: on a channel of its
   * own, so a user without configure permission (a least-privilege publisher) loses only the
   * notices, never the confirm channel every publish shares (a publish to a missing exchange
   * would close it with 404).
   */
  static async cancelExchangeReady(connection: ConnectionManager): Promise<boolean> {
    for (const declare of [
      (ch: amqp.Channel) => ch.assertExchange(CANCEL_EXCHANGE, 'fanout', { durable: true }),
      (ch: amqp.Channel) => ch.checkExchange(CANCEL_EXCHANGE),
    ]) {
      try {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        try {
          await declare(channel);
          return true;
        } finally {
          channel.close().catch(() => undefined);
        }
      } catch {
        // refused (403), or not there (404): try the next way, then give up on notices
      }
    }
    return false;
  }

  /** A connection of `generation` is up: a channel of an older one is dead even if its 'close' has not reached us yet. */
  expireBefore(generation: number): void {
    if (this.generation !== generation) this.#lost(undefined);
  }

  /** Stops reporting, without closing: for a channel whose connection is being closed anyway. */
  retire(): void {
    this.#live = false;
  }

  /** Stops reporting and closes the channel, waiting at most `waitMs` (a blocked connection never answers). */
  async close(waitMs: number): Promise<void> {
    this.#live = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#channel.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  #lost(error: Error | undefined): void {
    if (!this.#live) return;
    this.#live = false;
    this.events.emit('closed', error);
  }
}

function returned(message: amqp.Message): ReturnedMessage {
  const fields = message.fields as amqp.MessageFields & { replyCode: number; replyText: string };
  return {
    messageId: message.properties.messageId as string | undefined,
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    replyCode: fields.replyCode,
    replyText: fields.replyText,
  };
}

/** amqplib keeps the negotiated frame_max on the connection behind a channel, untyped (0xffffffff when the broker sets none). */
function negotiatedFrameMax(channel: amqp.Channel): number {
  const frameMax = (channel as unknown as { connection?: { frameMax?: unknown } }).connection?.frameMax;
  return typeof frameMax === 'number' && frameMax > 0 ? frameMax : AMQPLIB_FRAME_MAX;
}
