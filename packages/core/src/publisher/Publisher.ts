import { BrokerBlockedError, PublisherClosedError } from '../errors/publishErrors.js';
import type { WarrenError } from '../errors/WarrenError.js';
import { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import { messageTracer } from '../message/tracing.js';
import { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';
import { ChannelClosingError, type ConfirmChannelSession } from './ConfirmChannelSession.js';
import { ConfirmWindow } from './ConfirmWindow.js';
import { DeadlineSweeper } from './DeadlineSweeper.js';
import { DepthGate } from './DepthGate.js';
import { DirectReplies, isDirectReplyTo } from './DirectReplies.js';
import { AMQPLIB_FRAME_MAX } from './headerFrame.js';
import { type PendingPublish, promiseOf, settle, WRITTEN } from './PendingPublish.js';
import { PublishBuffer } from './PublishBuffer.js';
import { PublisherConnection } from './PublisherConnection.js';
import type { PublisherEvents, PublisherObserver, PublisherState, PublisherStats } from './PublisherEvents.js';
import type { PublisherOptions, PublishOptions } from './PublisherOptions.js';
import { PublisherStatus } from './PublisherStatus.js';
import { type PublishCounts, PublishSettler } from './PublishSettler.js';
import { type PublishLimits, preparePublish } from './preparePublish.js';
import type { QueueDepthView } from './QueueDepthLimits.js';
import type { RequestOptions } from './RequestClient.js';
import { RequestsOnChannel } from './RequestsOnChannel.js';
import { type ResolvedPublisherOptions, resolvePublisherOptions } from './resolvePublisherOptions.js';
import { UnsettledPublishes } from './UnsettledPublishes.js';

export type { PublisherEvents, PublisherObserver, PublisherState, PublisherStats } from './PublisherEvents.js';
export type { PublisherOptions, PublishOptions } from './PublisherOptions.js';

/** Why nothing can be written now, as #writeBlockedBy() names it. */
type WriteBlock = 'closed' | 'blocked' | 'no-channel' | 'channel-closing' | 'drain' | 'replies-starting' | 'window-full';

/**
 * Publishes with broker confirms, and passes the broker's back-pressure to the caller instead of
 * buffering without bound:
 *
 *   publish() -> [buffer: bounded by count and bytes] -> [window: <= maxInFlight written, unconfirmed] -> ack/nack
 *
 * A message is written only while #writeBlockedBy() names no reason; otherwise it waits in the
 * buffer until its deadline. The promise settles exactly once (PublishSettler): on ack (resolve),
 * nack, return, deadline, channel loss or close (reject with a typed error).
 */
export class Publisher {
  readonly events = new TypedEvents<PublisherEvents>();
  readonly #options: ResolvedPublisherOptions;
  readonly #connection: PublisherConnection;
  readonly #log: Logger;
  readonly #limits: PublishLimits;
  readonly #window = new ConfirmWindow<PendingPublish>();
  readonly #buffer: PublishBuffer<PendingPublish>;
  readonly #settler = new PublishSettler(() => this.#status.state);
  readonly #counts: PublishCounts = this.#settler.counts;
  readonly #sweeper: DeadlineSweeper;
  readonly #channels: ConfirmChannelKeeper;
  readonly #replies: DirectReplies;
  /** The marks of `limits` on destination queues; undefined without limits. */
  readonly #depth: DepthGate | undefined;
  readonly #requests: RequestsOnChannel;
  readonly #unsettled: UnsettledPublishes;
  readonly #status: PublisherStatus;
  /** The current channel takes no more writes: until 'drain' (or its reply consumer is on), or until it is replaced. */
  #paused: 'drain' | 'channel-closing' | 'replies-starting' | undefined;
  #blocked = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: PublisherOptions) {
    const o = resolvePublisherOptions(options);
    this.#options = o;
    this.#log = o.logger.child({ component: 'publisher' });
    this.#connection = new PublisherConnection(o);
    const conn = this.#connection.conn;
    this.#limits = { timeoutMs: o.timeoutMs, maxMessageBytes: o.maxMessageBytes, frameMax: AMQPLIB_FRAME_MAX };
    this.#buffer = new PublishBuffer(o.maxBufferedMessages, o.maxBufferedBytes);
    this.#unsettled = new UnsettledPublishes(this.#buffer, this.#window, this.#settler, () => this.#depth?.held ?? 0);
    const swept = (now: number): void => {
      this.#depth?.sweep(now);
      this.#unsettled.checkIdle();
    };
    this.#sweeper = new DeadlineSweeper(this.#buffer, this.#window, {
      expire: this.#settler.expire,
      swept,
      busy: () => this.#depth?.needsSweep === true,
    });
    if (o.limits.size > 0) {
      this.#depth = new DepthGate(o.limits, conn, this.#buffer, this.#log, {
        release: (entry) => {
          // Counted in the buffer's bounds while held, so it joins the buffer without a check.
          if (this.#writeBlockedBy() === undefined && this.#buffer.length === 0) this.#write(entry);
          else this.#buffer.push(entry);
        },
        released: () => this.#pump(),
        refuse: (entry, error) => this.#settler.full(entry, error),
        changed: (view) => this.events.emit('downstream', view),
      });
    }
    this.#channels = new ConfirmChannelKeeper(conn, this.#log, {
      opened: (session) => this.#onChannelOpened(session),
      closed: (error) => this.#onChannelClosed(error),
    });
    this.#replies = new DirectReplies(conn, this.#log, this.#limits, this.#counts);
    this.#requests = new RequestsOnChannel(this.#channels, o.timeoutMs, this.#log, {
      publish: (e, k, b, opts) => this.publish(e, k, b, opts),
      hold: () => {
        this.#paused = 'replies-starting';
      },
      go: () => this.#unpause('replies-starting'),
    });
    this.#status = new PublisherStatus({
      events: this.events,
      log: this.#log,
      window: this.#window,
      buffer: this.#buffer,
      counts: this.#counts,
      depth: this.#depth,
      requests: this.#requests,
    });
  }

  get state(): PublisherState {
    return this.#status.state;
  }

  stats(): PublisherStats {
    return this.#status.stats();
  }

  /**
   * Tells `observer` each confirm's latency and each answered request's round trip, in ms (one
   * observer: the app's metrics); undefined stops it. Writes are timed only while one is set.
   */
  observe(observer: PublisherObserver | undefined): void {
    this.#settler.confirmLatency = observer?.confirmed;
    this.#requests.roundTrip = observer?.answered;
  }

  /** Each queue of `limits`: its mark, the depth last read, whether it is full, what it holds. Empty without limits. */
  limits(): QueueDepthView[] {
    return this.#depth?.describe() ?? [];
  }

  /** Starts the owned connection (or waits for the shared one) and opens the confirm channel. */
  async start(): Promise<void> {
    if (this.#closing) throw new PublisherClosedError('publisher is closed');
    if (this.#connection.started) throw new PublisherClosedError('publisher was already started');
    this.#sweeper.start();
    await this.#connection.start({
      connected: (generation) => {
        this.#channels.connected(generation);
        this.#replies.connected(generation);
      },
      disconnected: () => this.#updateState(),
      blocked: (reason) => this.#onBlocked(reason),
      unblocked: () => this.#onUnblocked(),
      fatal: (error) => this.#onFatal(error),
    });
    await this.#channels.open();
  }

  /** Publishes to the default exchange, straight to `queue`. */
  send(queue: string, body: unknown, options?: PublishOptions): Promise<void> {
    return this.publish('', queue, body, options);
  }

  /** Resolves when the broker confirms the message (basic.ack); rejects with a typed WarrenError otherwise. */
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions = {}): Promise<void> {
    const tracer = messageTracer();
    if (tracer === undefined) return this.#publish(exchange, routingKey, body, options);
    // Traced: a publish span until the confirm, its traceparent in the headers.
    return tracer.publish({ exchange, routingKey }, options.headers, (headers) =>
      this.#publish(exchange, routingKey, body, { ...options, headers }),
    );
  }

  #publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions): Promise<void> {
    // Admission, apart from writing: a closing publisher takes nothing new, but still writes what it holds.
    if (this.#closing) return Promise.reject(new PublisherClosedError('publisher is closed'));
    const blockedBy = this.#writeBlockedBy();
    if ((blockedBy === 'blocked' || blockedBy === 'no-channel') && this.#options.blockedPolicy === 'fail-fast') {
      this.#counts.rejectedBlocked++;
      const why =
        blockedBy === 'blocked'
          ? `broker is blocking publishers (${this.#connection.conn.blockedReason ?? 'alarm'})`
          : 'publisher is reconnecting';
      return Promise.reject(new BrokerBlockedError(why));
    }
    let entry: PendingPublish;
    try {
      entry = preparePublish(exchange, routingKey, body, options, this.#limits);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = promiseOf(entry);
    try {
      this.#admit(entry, exchange, options, blockedBy);
    } catch (error) {
      entry.reject(error as Error); // as a promise executor would: what throws rejects
    }
    return promise;
  }

  /** Writes, buffers or refuses a prepared publish (its promise made: a refusal rejects it). */
  #admit(entry: PendingPublish, exchange: string, options: PublishOptions, blockedBy: WriteBlock | undefined): void {
    this.#sweeper.wake();
    // A queue at its `limits` mark holds or refuses the publish itself; other queues' publishes go on.
    if (this.#depth !== undefined && exchange === '' && options.ignoreLimits !== true && !this.#depth.admit(entry)) return;
    if (blockedBy === undefined && this.#buffer.length === 0) {
      this.#write(entry);
    } else if (this.#depth === undefined ? this.#buffer.fits(entry.bytes) : this.#depth.hasRoom(entry.bytes)) {
      this.#buffer.push(entry);
    } else {
      this.#counts.rejectedBlocked++;
      settle(entry); // let through by a queue's mark, it no longer counts against it
      const b = this.#buffer;
      const state = this.#status.state;
      const waiting = state === 'ready' ? 'waiting for confirms' : state;
      entry.reject(
        new BrokerBlockedError(`publish buffer is full (${b.length} messages, ${b.bytes} bytes) while the publisher is ${waiting}`),
      );
    }
  }

  /**
   * Answers a request (a handler's return value, through the Replier): to direct reply-to,
   * unconfirmed when nothing holds publishes back (DirectReplies says why); otherwise, and to a
   * real queue, a confirmed send(). Resolves once written (or confirmed).
   */
  reply(replyTo: string, body: Buffer, options: PublishOptions): Promise<void> {
    if (!isDirectReplyTo(replyTo)) return this.send(replyTo, body, options);
    const tracer = messageTracer();
    if (tracer === undefined) return this.#reply(replyTo, body, options);
    return tracer.publish({ exchange: '', routingKey: replyTo }, options.headers, (headers) =>
      this.#reply(replyTo, body, { ...options, headers }),
    );
  }

  #reply(replyTo: string, body: Buffer, options: PublishOptions): Promise<void> {
    if (!this.#closing && !this.#blocked) {
      try {
        if (this.#replies.write(replyTo, body, options)) return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#publish('', replyTo, body, options);
  }

  /**
   * Sends `body` to `queue` as a request and resolves with the decoded reply, over direct
   * reply-to. Rejects with RequestTimeoutError (its deadline, `timeoutMs`), RequestCancelledError
   * (`signal`), RemoteError (the responder's handler failed), NoResponderError (no queue), or the
   * publisher's own errors. See RequestClient.
   */
  request<TReply>(queue: string, body: unknown, options?: RequestOptions): Promise<TReply> {
    return this.requestVia<TReply>('', queue, body, options);
  }

  /** `request()` through an exchange and routing key. */
  requestVia<TReply>(exchange: string, routingKey: string, body: unknown, options?: RequestOptions): Promise<TReply> {
    if (this.#closing) return Promise.reject(new PublisherClosedError('publisher is closed'));
    return this.#requests.request<TReply>(exchange, routingKey, body, options);
  }

  /**
   * Stops accepting publishes, lets buffered and in-flight ones finish for up to `graceMs`, then
   * rejects what is left: PublisherClosedError if never written, PublishUnconfirmedError if its
   * fate is unknown. Closes the connection if this publisher owns it. Idempotent.
   */
  close(graceMs?: number): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#channels.stop();
    this.#replies.stop();
    this.#updateState();
    this.#closed = this.#shutdown(graceMs ?? this.#options.closeGraceMs);
    return this.#closed;
  }

  async #shutdown(graceMs: number): Promise<void> {
    await this.#unsettled.untilIdle(graceMs);
    this.#sweeper.stop();
    this.#requests.closeAll(new PublisherClosedError('publisher closed before the reply came'));
    this.#unsettled.abandonAll(this.#depth?.close() ?? []);
    await this.#connection.close([this.#channels.release(), this.#replies.release()]);
  }

  /** The one guard of publish() and the pump: why nothing can be written now, or undefined. */
  #writeBlockedBy(): WriteBlock | undefined {
    if (this.#channels.current === undefined) return this.#closing ? 'closed' : this.#blocked ? 'blocked' : 'no-channel';
    if (this.#blocked) return 'blocked';
    if (this.#paused !== undefined) return this.#paused;
    if (this.#window.size >= this.#options.maxInFlight) return 'window-full';
    return undefined;
  }

  /** Writes one message; the caller checked #writeBlockedBy(). */
  #write(entry: PendingPublish): void {
    let flushed: boolean;
    try {
      flushed = (this.#channels.current as ConfirmChannelSession).publish(entry);
    } catch (error) {
      if (error instanceof ChannelClosingError) {
        // Not written: it goes first on the next channel; nothing more goes to this one.
        this.#buffer.unshift(entry);
        this.#paused = 'channel-closing';
      } else {
        this.#settler.fail(entry, error as Error);
      }
      return;
    }
    entry.phase = WRITTEN;
    entry.sends++;
    if (this.#settler.confirmLatency !== undefined) entry.writtenAt = performance.now();
    this.#window.add(entry);
    this.#counts.published++;
    // amqplib took the message but its socket buffer is over the high-water mark: stop until 'drain'.
    if (!flushed) this.#paused = 'drain';
  }

  #pump(): void {
    while (this.#writeBlockedBy() === undefined) {
      const entry = this.#buffer.shift();
      if (entry === undefined) break;
      this.#write(entry);
    }
    this.#unsettled.checkIdle();
  }

  /** What paused the channel is over (a paused channel stays paused for any other reason): write what waits. */
  #unpause(reason: 'drain' | 'replies-starting'): void {
    if (this.#paused === reason) this.#paused = undefined;
    this.#pump();
  }

  #onChannelOpened(session: ConfirmChannelSession): void {
    const e = session.events;
    e.on('ack', (tag, multiple) => {
      this.#window.confirm(tag, multiple, this.#settler.ack);
      this.#pump();
    });
    e.on('nack', (tag, multiple) => {
      this.#window.confirm(tag, multiple, this.#onNack);
      this.#pump();
    });
    e.on('return', (message) => this.#settler.returned(this.#window.values(), message));
    e.on('drain', () => this.#unpause('drain'));
    e.on('listenerError', (error, event) => this.#log.error({ err: String(error), event }, 'publisher failed on a channel event'));
    this.#limits.frameMax = session.frameMax;
    this.#paused = undefined;
    this.#blocked = this.#connection.conn.isBlocked;
    this.#updateState();
    this.#requests.opened(session);
    this.#pump();
  }

  /** The confirm channel is gone: settle or re-send what it left unconfirmed, as fateOnChannelLoss decides. */
  #onChannelClosed(error: Error | undefined): void {
    this.#paused = undefined;
    this.#requests.channelLost();
    const { unconfirmed, resent } = this.#unsettled.channelLost(error, this.#options.republishUnconfirmed);
    if (unconfirmed > 0 || error !== undefined) this.#log.warn({ err: error?.message, unconfirmed, resent }, 'confirm channel closed');
    this.events.emit('channelClosed', error, unconfirmed, resent);
    this.#updateState();
    this.#unsettled.checkIdle();
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

  /** basic.nack (bound once): a queue that refused a publish straight to it may hold it again to wait for room. */
  readonly #onNack = (entry: PendingPublish): void => {
    if (entry.phase !== WRITTEN) return;
    if (entry.exchange === '') {
      this.#counts.refusedByQueue++;
      if (this.#depth?.refused(entry) === true) return;
    }
    this.#settler.nack(entry);
  };

  #updateState(): void {
    this.#status.update(this.#closing, this.#channels.current !== undefined, this.#blocked);
  }
}
