import { randomUUID } from 'node:crypto';
import type * as amqp from 'amqplib';
import type { BrokerUrlOptions } from '../connection/brokerUrl.js';
import { ConnectionManager } from '../connection/ConnectionManager.js';
import {
  BrokerBlockedError,
  InvalidPublishError,
  PublisherClosedError,
  PublishNackedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from '../errors/publishErrors.js';
import { ConfigError, TopologyError, type WarrenError } from '../errors/WarrenError.js';
import type { Disposable } from '../events/TypedEvents.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { ConfirmWindow } from './ConfirmWindow.js';
import { checkPublish } from './checkPublish.js';
import { AMQPLIB_FRAME_MAX, contentHeaderFrameBytes, headerTableBytes } from './headerFrame.js';
import { PublishBuffer } from './PublishBuffer.js';
import { DEFAULT_MAX_MESSAGE_BYTES, serializeBody } from './serialize.js';

export interface PublishOptions {
  /** Strings, finite numbers, booleans, null, Buffers, arrays, plain objects, or amqplib's `{ '!': type, value }`; 64 KiB at most, encoded. */
  headers?: Record<string, unknown>;
  /** Set to a random UUID when absent; `mandatory` returns are matched to their publish by it. */
  messageId?: string;
  /** Seconds since the epoch (AMQP's unit); set to now when absent. */
  timestamp?: number;
  /** Default: application/json for objects, text/plain for strings, none for Buffers. */
  contentType?: string;
  contentEncoding?: string;
  /** Default true: survives a broker restart on a durable queue. */
  persistent?: boolean;
  /** Reject with UnroutableError when no queue is bound for the routing key (else the broker acks and drops it). */
  mandatory?: boolean;
  /** Per-message TTL: whole ms, 0 to 315,360,000,000 (RabbitMQ's 10 years), as a number or a string of digits. */
  expiration?: string | number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  type?: string;
  appId?: string;
  /** Deadline for this publish (waiting in the buffer plus the confirm); default: the publisher's timeoutMs. */
  timeoutMs?: number;
}

/** `url` (one broker) or `urls` (several); default WARREN_URL, AMQP_URL, then amqp://guest:guest@127.0.0.1:5672. */
export interface PublisherOptions extends BrokerUrlOptions {
  /** Share a started connection (role 'publish') instead of owning one (then no `url`/`urls`); close() then leaves it open. */
  connection?: ConnectionManager;
  appName?: string;
  /** Unconfirmed messages at most (default 1000); later publishes wait in the buffer. */
  maxInFlight?: number;
  /** Publishes waiting to be written at most (default 10,000); beyond it BrokerBlockedError at once. */
  maxBufferedMessages?: number;
  /** Bytes of bodies waiting to be written at most (default 64 MiB); beyond it BrokerBlockedError at once. */
  maxBufferedBytes?: number;
  /** While blocked or reconnecting: 'wait' (default) holds publishes up to their deadline; 'fail-fast' rejects them at once. */
  blockedPolicy?: 'wait' | 'fail-fast';
  /** Default per-publish deadline (default 30 s). */
  timeoutMs?: number;
  /** Re-send written-but-unconfirmed messages after a reconnect instead of failing them (at-least-once: duplicates possible). */
  republishUnconfirmed?: boolean;
  /** How long close() waits for outstanding confirms (default 5 s). */
  closeGraceMs?: number;
  /** Body size limit (default 16 MiB, RabbitMQ 4's max_message_size); raise it only as far as the broker's own. */
  maxMessageBytes?: number;
  logger?: Logger;
}

export type PublisherState = 'ready' | 'blocked' | 'reconnecting' | 'closed';

export type PublisherEvents = {
  /** The broker blocked the publishing connection (memory or disk alarm). */
  blocked: [reason: string];
  unblocked: [];
  stateChanged: [state: PublisherState];
  /** The confirm channel closed with `unconfirmed` messages outstanding; `resent` of them go out again. */
  channelClosed: [error: Error | undefined, unconfirmed: number, resent: number];
};

export interface PublisherStats {
  /** Written, not yet confirmed (including ones whose caller already got a timeout). */
  inFlight: number;
  maxInFlightSeen: number;
  buffered: number;
  bufferedBytes: number;
  /** Writes to the channel, re-sends included. */
  published: number;
  confirmed: number;
  nacked: number;
  returned: number;
  /** Rejected with PublishUnconfirmedError: written, fate unknown. */
  unconfirmed: number;
  /** Rejected with PublishTimeoutError, written or not. */
  timedOut: number;
  /** Of timedOut, those already written (fate unknown: they may still reach the queue). */
  timedOutWritten: number;
  /** Rejected with BrokerBlockedError (fail-fast, or buffer full). */
  rejectedBlocked: number;
  /** Unconfirmed messages written again on a fresh channel. */
  republished: number;
  /** Rejected by close(): never written, or written and not confirmed within its grace period. */
  abandonedAtClose: number;
}

const SWEEP_EVERY_MS = 50;
/** A message is re-sent on a fresh channel at most this many times, so a message that kills its channel cannot loop. */
const MAX_SENDS = 4;
/** How long close() waits for a channel close on a shared connection (a blocked connection never answers). */
const CHANNEL_CLOSE_WAIT_MS = 1000;

const BUFFERED = 0;
const WRITTEN = 1;
const SETTLED = 2;
type Phase = typeof BUFFERED | typeof WRITTEN | typeof SETTLED;

/** One publish from accept to settle. A class, so every entry has the same shape on the hot path. */
class PendingPublish {
  phase: Phase = BUFFERED;
  sends = 0;
  returned: UnroutableError | undefined = undefined;
  /** Size of its content header frame when it has headers (else 0: without them it fits any frame_max). */
  headerFrameBytes = 0;
  readonly bytes: number;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly content: Buffer,
    readonly properties: amqp.Options.Publish,
    readonly deadline: number,
    readonly resolve: () => void,
    readonly reject: (error: Error) => void,
  ) {
    this.bytes = content.length;
  }
}

/** amqplib's reply text for a publish to a missing exchange, e.g. "NOT_FOUND - no exchange 'x' in vhost '/'". */
const NO_EXCHANGE = /no exchange '((?:[^']|'(?! in vhost))*)' in vhost/;

/**
 * Publishes with broker confirms, and passes the broker's back-pressure to the caller instead of
 * buffering without bound:
 *
 *   publish() -> [buffer: bounded by count and bytes] -> [window: <= maxInFlight written, unconfirmed] -> ack/nack
 *
 * A message is written only while the channel is open, the broker has not blocked the connection,
 * amqplib's write buffer has drained (publish() returned true) and the window has room; otherwise
 * it waits in the buffer until its deadline. The promise settles exactly once: on ack (resolve),
 * nack, return, deadline, channel loss or close (reject with a typed error).
 */
export class Publisher {
  readonly events = new TypedEvents<PublisherEvents>();
  readonly #conn: ConnectionManager;
  readonly #ownsConnection: boolean;
  readonly #log: Logger;
  readonly #maxInFlight: number;
  readonly #failFast: boolean;
  readonly #timeoutMs: number;
  readonly #republish: boolean;
  readonly #closeGraceMs: number;
  readonly #maxMessageBytes: number;
  /** Of the current (or last) connection; amqplib's request until one is negotiated. */
  #frameMax = AMQPLIB_FRAME_MAX;
  readonly #window = new ConfirmWindow<PendingPublish>();
  readonly #buffer: PublishBuffer<PendingPublish>;
  #channel: amqp.ConfirmChannel | undefined;
  #channelGeneration = 0;
  #opening: Promise<void> | undefined;
  #reopenTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #paused = false;
  #blocked = false;
  #closing = false;
  #closed: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  #state: PublisherState = 'reconnecting';
  #subscriptions: Disposable[] = [];
  readonly #stats = {
    published: 0,
    confirmed: 0,
    nacked: 0,
    returned: 0,
    unconfirmed: 0,
    timedOut: 0,
    timedOutWritten: 0,
    rejectedBlocked: 0,
    republished: 0,
    abandonedAtClose: 0,
  };

  constructor(options: PublisherOptions) {
    this.#maxInFlight = positiveInt('maxInFlight', options.maxInFlight, 1000);
    this.#buffer = new PublishBuffer(
      nonNegativeInt('maxBufferedMessages', options.maxBufferedMessages, 10_000),
      nonNegativeInt('maxBufferedBytes', options.maxBufferedBytes, 64 * 1024 * 1024),
    );
    this.#timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 30_000);
    this.#closeGraceMs = nonNegativeInt('closeGraceMs', options.closeGraceMs, 5000);
    this.#maxMessageBytes = positiveInt('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
    const policy = options.blockedPolicy ?? 'wait';
    if (policy !== 'wait' && policy !== 'fail-fast')
      throw new ConfigError(`publisher blockedPolicy must be 'wait' or 'fail-fast', got ${String(policy)}`);
    this.#failFast = policy === 'fail-fast';
    this.#republish = options.republishUnconfirmed === true;
    const logger = options.logger ?? silentLogger();
    this.#log = logger.child({ component: 'publisher' });
    if (options.connection !== undefined) {
      // A URL next to a shared connection would be silently unused: say so instead.
      if (options.url !== undefined || options.urls !== undefined)
        throw new ConfigError('publisher: give "connection" or "url"/"urls", not both');
      this.#conn = options.connection;
      this.#ownsConnection = false;
    } else {
      this.#conn = new ConnectionManager({ url: options.url, urls: options.urls, role: 'publish', appName: options.appName, logger });
      this.#ownsConnection = true;
    }
  }

  get state(): PublisherState {
    return this.#state;
  }

  stats(): PublisherStats {
    return {
      inFlight: this.#window.size,
      maxInFlightSeen: this.#window.maxSeen,
      buffered: this.#buffer.length,
      bufferedBytes: this.#buffer.bytes,
      ...this.#stats,
    };
  }

  /** Starts the owned connection (or waits for the shared one) and opens the confirm channel. */
  async start(): Promise<void> {
    if (this.#closing) throw new PublisherClosedError('publisher is closed');
    if (this.#subscriptions.length > 0) throw new PublisherClosedError('publisher was already started');
    const c = this.#conn;
    this.#subscriptions = [
      c.events.on('connected', (generation) => this.#onConnected(generation)),
      c.events.on('disconnected', () => this.#updateState()),
      c.events.on('blocked', (reason) => this.#onBlocked(reason)),
      c.events.on('unblocked', () => this.#onUnblocked()),
      c.events.on('fatal', (error) => this.#onFatal(error)),
    ];
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_EVERY_MS);
    this.#sweepTimer.unref();
    if (this.#ownsConnection) await this.#conn.start();
    else await this.#conn.waitForConnected();
    await this.#openChannel();
  }

  /** Publishes to the default exchange, straight to `queue`. */
  send(queue: string, body: unknown, options?: PublishOptions): Promise<void> {
    return this.publish('', queue, body, options);
  }

  /** Resolves when the broker confirms the message (basic.ack); rejects with a typed WarrenError otherwise. */
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions = {}): Promise<void> {
    if (this.#closing) return Promise.reject(new PublisherClosedError('publisher is closed'));
    if (this.#failFast && (this.#blocked || this.#channel === undefined)) {
      this.#stats.rejectedBlocked++;
      return Promise.reject(
        new BrokerBlockedError(
          this.#blocked ? `broker is blocking publishers (${this.#conn.blockedReason ?? 'alarm'})` : 'publisher is reconnecting',
        ),
      );
    }
    let content: Buffer;
    let properties: amqp.Options.Publish;
    let deadline: number;
    let headerFrameBytes = 0;
    // Everything the broker or amqplib would refuse is refused here, before the message is
    // buffered or written: refused by the broker, it would close the confirm channel (or the
    // connection) that every publish in flight shares.
    try {
      checkPublish(exchange, routingKey, options);
      const serialized = serializeBody(body);
      content = serialized.content;
      if (content.length > this.#maxMessageBytes) {
        throw new InvalidPublishError(
          `message body is ${content.length} bytes, over maxMessageBytes (${this.#maxMessageBytes}); the broker closes the channel on a body over its max_message_size`,
        );
      }
      const now = Date.now();
      deadline = now + (options.timeoutMs ?? this.#timeoutMs);
      properties = {
        headers: options.headers,
        messageId: options.messageId ?? randomUUID(),
        timestamp: options.timestamp ?? Math.floor(now / 1000),
        contentType: options.contentType ?? serialized.contentType,
        contentEncoding: options.contentEncoding,
        persistent: options.persistent ?? true,
        mandatory: options.mandatory === true,
        expiration: options.expiration === undefined ? undefined : String(options.expiration),
        priority: options.priority,
        correlationId: options.correlationId,
        replyTo: options.replyTo,
        type: options.type,
        appId: options.appId,
      };
      if (options.headers !== undefined) {
        headerFrameBytes = contentHeaderFrameBytes(properties, headerTableBytes(options.headers));
        if (headerFrameBytes > this.#frameMax) throw frameTooLarge(headerFrameBytes, this.#frameMax);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const entry = new PendingPublish(exchange, routingKey, content, properties, deadline, resolve, reject);
      entry.headerFrameBytes = headerFrameBytes;
      if (this.#buffer.length === 0 && this.#canWrite()) {
        this.#write(entry);
      } else if (this.#buffer.fits(entry.bytes)) {
        this.#buffer.push(entry);
      } else {
        this.#stats.rejectedBlocked++;
        reject(
          new BrokerBlockedError(
            `publish buffer is full (${this.#buffer.length} messages, ${this.#buffer.bytes} bytes) while the publisher is ${this.#state === 'ready' ? 'waiting for confirms' : this.#state}`,
          ),
        );
      }
    });
  }

  /**
   * Stops accepting publishes, lets buffered and in-flight ones finish for up to `graceMs`, then
   * rejects what is left: PublisherClosedError if never written, PublishUnconfirmedError if its
   * fate is unknown. Closes the connection if this publisher owns it. Idempotent.
   */
  close(graceMs?: number): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#updateState();
    this.#closed = this.#shutdown(graceMs ?? this.#closeGraceMs);
    return this.#closed;
  }

  async #shutdown(graceMs: number): Promise<void> {
    clearTimeout(this.#reopenTimer);
    if (!this.#isIdle() && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.#onIdle = undefined;
    }
    clearInterval(this.#sweepTimer);
    for (const entry of this.#buffer.takeAll()) {
      entry.phase = SETTLED;
      this.#stats.abandonedAtClose++;
      entry.reject(new PublisherClosedError('publisher closed before this message was written'));
    }
    for (const entry of this.#window.takeAll()) {
      if (entry.phase === SETTLED) continue;
      entry.phase = SETTLED;
      this.#stats.unconfirmed++;
      this.#stats.abandonedAtClose++;
      entry.reject(
        new PublishUnconfirmedError('publisher closed before the broker confirmed this message; it may or may not be in the queue'),
      );
    }
    for (const s of this.#subscriptions) s.dispose();
    this.#subscriptions = [];
    const channel = this.#channel;
    this.#channel = undefined;
    if (this.#ownsConnection) {
      // Closing the connection closes the channel too, and returns at once even while blocked.
      await this.#conn.close();
    } else if (channel !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([channel.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CHANNEL_CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
    }
  }

  // ---- writing ----

  #canWrite(): boolean {
    return this.#channel !== undefined && !this.#paused && !this.#blocked && this.#window.size < this.#maxInFlight;
  }

  /** Writes one message; the caller checked #canWrite(). */
  #write(entry: PendingPublish): void {
    const channel = this.#channel as amqp.ConfirmChannel;
    if (entry.headerFrameBytes > this.#frameMax) {
      // Accepted under a larger frame_max than this connection's (or before one was negotiated).
      entry.phase = SETTLED;
      entry.reject(frameTooLarge(entry.headerFrameBytes, this.#frameMax));
      return;
    }
    let flushed: boolean;
    try {
      flushed = channel.publish(entry.exchange, entry.routingKey, entry.content, entry.properties);
    } catch (error) {
      if ((error as Error).name === 'IllegalOperationError') {
        // The channel is closing under us; the message was not written. It goes first when a channel
        // is back, and nothing more is written here (its 'close' resets #paused).
        this.#buffer.unshift(entry);
        this.#paused = true;
        return;
      }
      // Encoding failed before anything reached the socket (publish() checks what we know amqplib refuses); the channel is fine.
      entry.phase = SETTLED;
      entry.reject(new InvalidPublishError(`message cannot be encoded: ${(error as Error).message}`, { cause: error }));
      return;
    }
    entry.phase = WRITTEN;
    entry.sends++;
    this.#window.add(entry);
    this.#stats.published++;
    // amqplib took the message but its socket buffer is over the high-water mark: stop until 'drain'.
    if (!flushed) this.#paused = true;
  }

  #pump(): void {
    while (this.#canWrite()) {
      const entry = this.#buffer.shift();
      if (entry === undefined) break;
      this.#write(entry);
    }
    if (this.#onIdle !== undefined && this.#isIdle()) this.#onIdle();
  }

  // ---- confirms (bound once, not per message) ----

  readonly #settleAck = (entry: PendingPublish): void => {
    if (entry.phase !== WRITTEN) return; // already timed out: the caller was told
    entry.phase = SETTLED;
    if (entry.returned !== undefined) {
      this.#stats.returned++;
      entry.reject(entry.returned);
    } else {
      this.#stats.confirmed++;
      entry.resolve();
    }
  };

  readonly #settleNack = (entry: PendingPublish): void => {
    if (entry.phase !== WRITTEN) return;
    entry.phase = SETTLED;
    this.#stats.nacked++;
    entry.reject(
      new PublishNackedError(
        `broker refused the message (basic.nack) published to exchange '${entry.exchange}' with routing key '${entry.routingKey}'`,
      ),
    );
  };

  #onReturn(message: amqp.Message): void {
    // basic.return precedes the ack of the same message; remember it and reject on the ack.
    const id = message.properties.messageId as string | undefined;
    const { replyCode, replyText, exchange, routingKey } = message.fields as amqp.MessageFields & {
      replyCode: number;
      replyText: string;
    };
    // Copies of one message (retries, dead letters, fan-out) share its messageId: match the
    // target too, so a return is never pinned on a copy that went elsewhere.
    for (const entry of this.#window.values()) {
      if (
        entry.returned === undefined &&
        entry.properties.mandatory === true &&
        entry.properties.messageId === id &&
        entry.exchange === exchange &&
        entry.routingKey === routingKey
      ) {
        entry.returned = new UnroutableError(
          `message ${String(id)} to exchange '${exchange}' with routing key '${routingKey}' was unroutable (${replyCode} ${replyText})`,
          replyCode,
          replyText,
        );
        return;
      }
    }
  }

  // ---- channel lifecycle ----

  #openChannel(): Promise<void> {
    if (this.#opening !== undefined) return this.#opening;
    if (this.#channel !== undefined || this.#closing) return Promise.resolve();
    this.#opening = (async () => {
      try {
        const channel = await this.#conn.createConfirmChannel();
        if (this.#closing) {
          channel.close().catch(() => undefined);
          return;
        }
        this.#attach(channel);
      } finally {
        this.#opening = undefined;
      }
      this.#updateState();
      this.#pump();
    })();
    return this.#opening;
  }

  #attach(channel: amqp.ConfirmChannel): void {
    let lastError: Error | undefined;
    channel.on('ack', (f: { deliveryTag: number; multiple: boolean }) => {
      if (channel !== this.#channel) return;
      this.#window.confirm(f.deliveryTag, f.multiple, this.#settleAck);
      this.#pump();
    });
    channel.on('nack', (f: { deliveryTag: number; multiple: boolean }) => {
      if (channel !== this.#channel) return;
      this.#window.confirm(f.deliveryTag, f.multiple, this.#settleNack);
      this.#pump();
    });
    channel.on('return', (message: amqp.Message) => {
      if (channel === this.#channel) this.#onReturn(message);
    });
    channel.on('drain', () => {
      if (channel !== this.#channel) return;
      this.#paused = false;
      this.#pump();
    });
    channel.on('error', (error: Error) => {
      lastError = error;
    });
    channel.on('close', () => {
      if (channel === this.#channel) this.#onChannelClosed(lastError);
    });
    this.#channel = channel;
    this.#frameMax = negotiatedFrameMax(channel);
    this.#channelGeneration = this.#conn.generation;
    this.#paused = false;
    this.#blocked = this.#conn.isBlocked;
  }

  /**
   * The confirm channel is gone with messages written but unconfirmed. Their fate:
   * - a 404 for a missing exchange closed it: messages to that exchange fail (TopologyError); the
   *   others ("innocent") are re-sent on a fresh channel. Those written after the bad one were
   *   discarded by the broker, but one written before it may already be in its queue with its ack
   *   lost in the close, so re-sending is at-least-once: a duplicate is possible, a loss is not.
   * - anything else (connection lost, other channel error): PublishUnconfirmedError, or re-sent
   *   when republishUnconfirmed is on (again at-least-once).
   * Messages re-sent MAX_SENDS times fail, so a message that kills its channel cannot loop.
   */
  #onChannelClosed(error: Error | undefined): void {
    this.#channel = undefined;
    this.#paused = false;
    const lost = this.#window.takeAll();
    const badExchange = (error as { code?: unknown } | undefined)?.code === 404 ? NO_EXCHANGE.exec(error?.message ?? '')?.[1] : undefined;
    const resend: PendingPublish[] = [];
    let unconfirmed = 0;
    for (const entry of lost) {
      if (entry.phase !== WRITTEN) continue;
      unconfirmed++;
      if (badExchange !== undefined && entry.exchange === badExchange) {
        entry.phase = SETTLED;
        entry.reject(new TopologyError(`exchange '${badExchange}' does not exist (404 NOT_FOUND)`, { cause: error }));
      } else if ((badExchange !== undefined || this.#republish) && entry.sends < MAX_SENDS) {
        resend.push(entry);
      } else {
        entry.phase = SETTLED;
        this.#stats.unconfirmed++;
        entry.reject(
          new PublishUnconfirmedError(
            `the channel closed before the broker confirmed this message (${error?.message ?? 'connection lost'}); it may or may not be in the queue`,
            { cause: error },
          ),
        );
      }
    }
    for (let i = resend.length - 1; i >= 0; i--) {
      const entry = resend[i] as PendingPublish;
      entry.phase = BUFFERED;
      this.#buffer.unshift(entry);
    }
    this.#stats.republished += resend.length;
    if (unconfirmed > 0 || error !== undefined) {
      this.#log.warn({ err: error?.message, unconfirmed, resent: resend.length }, 'confirm channel closed');
    }
    this.events.emit('channelClosed', error, unconfirmed, resend.length);
    this.#updateState();
    if (this.#onIdle !== undefined && this.#isIdle()) this.#onIdle();
    // A channel error leaves the connection up: reopen at once. A lost connection reopens on 'connected'.
    if (this.#conn.state === 'connected') this.#reopenSoon(0);
  }

  #reopenSoon(delayMs: number): void {
    if (this.#closing) return;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = setTimeout(() => {
      this.#openChannel().catch((error: Error) => {
        this.#log.warn({ err: error.message }, 'cannot reopen the confirm channel');
        if (this.#conn.state === 'connected') this.#reopenSoon(1000);
      });
    }, delayMs);
    this.#reopenTimer.unref();
  }

  #onConnected(generation: number): void {
    // A channel of an older connection is dead even if its 'close' has not reached us yet.
    if (this.#channel !== undefined && this.#channelGeneration !== generation) this.#onChannelClosed(undefined);
    if (this.#channel === undefined) this.#reopenSoon(0);
  }

  #onBlocked(reason: string): void {
    this.#blocked = true;
    this.events.emit('blocked', reason);
    this.#updateState();
  }

  #onUnblocked(): void {
    if (!this.#blocked) return;
    this.#blocked = false;
    this.events.emit('unblocked');
    this.#updateState();
    this.#pump();
  }

  #onFatal(error: WarrenError): void {
    this.#log.error({ err: error.message }, 'publishing connection failed for good; closing the publisher');
    this.close(0).catch(() => undefined);
  }

  // ---- deadlines ----

  /** One timer for all deadlines, instead of one per message. */
  #sweep(): void {
    const now = Date.now();
    if (this.#buffer.length > 0) {
      this.#buffer.removeWhere(
        (entry) => entry.deadline <= now,
        (entry) => {
          entry.phase = SETTLED;
          this.#stats.timedOut++;
          entry.reject(
            new PublishTimeoutError(`publish not written within its deadline (publisher ${this.#state}); the broker never saw it`, false),
          );
        },
      );
    }
    for (const entry of this.#window.values()) {
      if (entry.phase !== WRITTEN || entry.deadline > now) continue;
      // It keeps its window slot until the broker answers or the channel closes: it is still unconfirmed.
      entry.phase = SETTLED;
      this.#stats.timedOut++;
      this.#stats.timedOutWritten++;
      entry.reject(
        new PublishTimeoutError(
          `no confirm within the deadline (publisher ${this.#state}); the message was written and may still reach the queue`,
          true,
        ),
      );
    }
    if (this.#onIdle !== undefined && this.#isIdle()) this.#onIdle();
  }

  /** Nothing waits for an answer: buffer empty, and every written message settled. */
  #isIdle(): boolean {
    if (this.#buffer.length > 0) return false;
    for (const entry of this.#window.values()) if (entry.phase === WRITTEN) return false;
    return true;
  }

  #updateState(): void {
    const next: PublisherState = this.#closing
      ? 'closed'
      : this.#channel === undefined
        ? 'reconnecting'
        : this.#blocked
          ? 'blocked'
          : 'ready';
    if (next === this.#state) return;
    const previous = this.#state;
    this.#state = next;
    const context = { state: next, previous, inFlight: this.#window.size, buffered: this.#buffer.length };
    if (next === 'ready' || next === 'closed') this.#log.info(context, `publisher ${next}`);
    else this.#log.warn(context, `publisher ${next}`);
    this.events.emit('stateChanged', next);
  }
}

/** `new Publisher(options)` then `start()`. */
export async function createPublisher(options: PublisherOptions): Promise<Publisher> {
  const publisher = new Publisher(options);
  try {
    await publisher.start();
  } catch (error) {
    await publisher.close(0).catch(() => undefined);
    throw error;
  }
  return publisher;
}

function frameTooLarge(bytes: number, frameMax: number): InvalidPublishError {
  return new InvalidPublishError(
    `publish option headers: the content header frame would be ${bytes} bytes, over this connection's frame_max of ${frameMax} (the broker would close the connection)`,
  );
}

/** amqplib keeps the negotiated frame_max on the connection behind a channel, untyped (0xffffffff when the broker sets none). */
function negotiatedFrameMax(channel: amqp.ConfirmChannel): number {
  const frameMax = (channel as unknown as { connection?: { frameMax?: unknown } }).connection?.frameMax;
  return typeof frameMax === 'number' && frameMax > 0 ? frameMax : AMQPLIB_FRAME_MAX;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`publisher ${name} must be a positive integer, got ${String(value)}`);
  return v;
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new ConfigError(`publisher ${name} must be a non-negative integer, got ${String(value)}`);
  return v;
}
