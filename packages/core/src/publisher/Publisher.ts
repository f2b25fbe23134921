import { ConnectionManager } from '../connection/ConnectionManager.js';
import { BrokerBlockedError, PublisherClosedError } from '../errors/publishErrors.js';
import type { WarrenError } from '../errors/WarrenError.js';
import { type Disposable, TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';
import { ChannelClosingError, type ConfirmChannelSession } from './ConfirmChannelSession.js';
import { ConfirmWindow } from './ConfirmWindow.js';
import { DeadlineSweeper } from './DeadlineSweeper.js';
import { fateOnChannelLoss } from './fateOnChannelLoss.js';
import { AMQPLIB_FRAME_MAX } from './headerFrame.js';
import { BUFFERED, type PendingPublish, WRITTEN } from './PendingPublish.js';
import { PublishBuffer } from './PublishBuffer.js';
import type { PublisherEvents, PublisherState, PublisherStats } from './PublisherEvents.js';
import type { PublisherOptions, PublishOptions } from './PublisherOptions.js';
import { type PublishCounts, PublishSettler } from './PublishSettler.js';
import { type PublishLimits, preparePublish } from './preparePublish.js';
import { type ResolvedPublisherOptions, resolvePublisherOptions } from './resolvePublisherOptions.js';

export type { PublisherEvents, PublisherState, PublisherStats } from './PublisherEvents.js';
export type { PublisherOptions, PublishOptions } from './PublisherOptions.js';

/** Why nothing can be written now, as #writeBlockedBy() names it. */
type WriteBlock = 'closed' | 'blocked' | 'no-channel' | 'channel-closing' | 'drain' | 'window-full';

/** How long close() waits for a channel close on a shared connection (a blocked connection never answers). */
const CHANNEL_CLOSE_WAIT_MS = 1000;

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
  readonly #conn: ConnectionManager;
  readonly #log: Logger;
  readonly #limits: PublishLimits;
  readonly #window = new ConfirmWindow<PendingPublish>();
  readonly #buffer: PublishBuffer<PendingPublish>;
  readonly #settler = new PublishSettler(() => this.#state);
  readonly #counts: PublishCounts = this.#settler.counts;
  readonly #sweeper: DeadlineSweeper;
  readonly #channels: ConfirmChannelKeeper;
  /** The current channel takes no more writes: until 'drain', or until it is replaced. */
  #paused: 'drain' | 'channel-closing' | undefined;
  #blocked = false;
  #closing = false;
  #closed: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  #state: PublisherState = 'reconnecting';
  #subscriptions: Disposable[] = [];

  constructor(options: PublisherOptions) {
    const o = resolvePublisherOptions(options);
    this.#options = o;
    this.#log = o.logger.child({ component: 'publisher' });
    this.#conn = o.connection ?? new ConnectionManager({ urls: o.urls, role: 'publish', appName: o.appName, logger: o.logger });
    this.#limits = { timeoutMs: o.timeoutMs, maxMessageBytes: o.maxMessageBytes, frameMax: AMQPLIB_FRAME_MAX };
    this.#buffer = new PublishBuffer(o.maxBufferedMessages, o.maxBufferedBytes);
    this.#sweeper = new DeadlineSweeper(this.#buffer, this.#window, { expire: this.#settler.expire, swept: () => this.#checkIdle() });
    this.#channels = new ConfirmChannelKeeper(this.#conn, this.#log, {
      opened: (session) => this.#onChannelOpened(session),
      closed: (error) => this.#onChannelClosed(error),
    });
  }

  get state(): PublisherState {
    return this.#state;
  }

  stats(): PublisherStats {
    const w = this.#window;
    return {
      inFlight: w.size,
      maxInFlightSeen: w.maxSeen,
      buffered: this.#buffer.length,
      bufferedBytes: this.#buffer.bytes,
      ...this.#counts,
    };
  }

  /** Starts the owned connection (or waits for the shared one) and opens the confirm channel. */
  async start(): Promise<void> {
    if (this.#closing) throw new PublisherClosedError('publisher is closed');
    if (this.#subscriptions.length > 0) throw new PublisherClosedError('publisher was already started');
    const c = this.#conn;
    this.#subscriptions = [
      c.events.on('connected', (generation) => this.#channels.connected(generation)),
      c.events.on('disconnected', () => this.#updateState()),
      c.events.on('blocked', (reason) => this.#onBlocked(reason)),
      c.events.on('unblocked', () => this.#onUnblocked()),
      c.events.on('fatal', (error) => this.#onFatal(error)),
    ];
    this.#sweeper.start();
    if (this.#options.connection === undefined) await c.start();
    else await c.waitForConnected();
    await this.#channels.open();
  }

  /** Publishes to the default exchange, straight to `queue`. */
  send(queue: string, body: unknown, options?: PublishOptions): Promise<void> {
    return this.publish('', queue, body, options);
  }

  /** Resolves when the broker confirms the message (basic.ack); rejects with a typed WarrenError otherwise. */
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions = {}): Promise<void> {
    // Admission, apart from writing: a closing publisher takes nothing new, but still writes what it holds.
    if (this.#closing) return Promise.reject(new PublisherClosedError('publisher is closed'));
    const blockedBy = this.#writeBlockedBy();
    if ((blockedBy === 'blocked' || blockedBy === 'no-channel') && this.#options.blockedPolicy === 'fail-fast') {
      this.#counts.rejectedBlocked++;
      const why =
        blockedBy === 'blocked' ? `broker is blocking publishers (${this.#conn.blockedReason ?? 'alarm'})` : 'publisher is reconnecting';
      return Promise.reject(new BrokerBlockedError(why));
    }
    let entry: PendingPublish;
    try {
      entry = preparePublish(exchange, routingKey, body, options, this.#limits);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
      if (blockedBy === undefined && this.#buffer.length === 0) {
        this.#write(entry);
      } else if (this.#buffer.fits(entry.bytes)) {
        this.#buffer.push(entry);
      } else {
        this.#counts.rejectedBlocked++;
        const b = this.#buffer;
        const waiting = this.#state === 'ready' ? 'waiting for confirms' : this.#state;
        reject(new BrokerBlockedError(`publish buffer is full (${b.length} messages, ${b.bytes} bytes) while the publisher is ${waiting}`));
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
    this.#channels.stop();
    this.#updateState();
    this.#closed = this.#shutdown(graceMs ?? this.#options.closeGraceMs);
    return this.#closed;
  }

  async #shutdown(graceMs: number): Promise<void> {
    if (!this.#isIdle() && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.#onIdle = undefined;
    }
    this.#sweeper.stop();
    for (const entry of this.#buffer.takeAll()) this.#settler.abandon(entry);
    for (const entry of this.#window.takeAll()) this.#settler.abandon(entry);
    for (const s of this.#subscriptions) s.dispose();
    this.#subscriptions = [];
    const session = this.#channels.release();
    if (this.#options.connection === undefined) {
      // Closing the connection closes the channel too, and returns at once even while blocked.
      session?.retire();
      await this.#conn.close();
    } else {
      await session?.close(CHANNEL_CLOSE_WAIT_MS);
    }
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
    this.#checkIdle();
  }

  #onChannelOpened(session: ConfirmChannelSession): void {
    const e = session.events;
    e.on('ack', (tag, multiple) => {
      this.#window.confirm(tag, multiple, this.#settler.ack);
      this.#pump();
    });
    e.on('nack', (tag, multiple) => {
      this.#window.confirm(tag, multiple, this.#settler.nack);
      this.#pump();
    });
    e.on('return', (message) => this.#settler.returned(this.#window.values(), message));
    e.on('drain', () => {
      if (this.#paused === 'drain') this.#paused = undefined;
      this.#pump();
    });
    e.on('listenerError', (error, event) => this.#log.error({ err: String(error), event }, 'publisher failed on a channel event'));
    this.#limits.frameMax = session.frameMax;
    this.#paused = undefined;
    this.#blocked = this.#conn.isBlocked;
    this.#updateState();
    this.#pump();
  }

  /** The confirm channel is gone: settle or re-send what it left unconfirmed, as fateOnChannelLoss decides. */
  #onChannelClosed(error: Error | undefined): void {
    this.#paused = undefined;
    const lost: PendingPublish[] = [];
    for (const entry of this.#window.takeAll()) if (entry.phase === WRITTEN) lost.push(entry);
    const { resend, reject } = fateOnChannelLoss(lost, error, { republishUnconfirmed: this.#options.republishUnconfirmed });
    for (const r of reject) this.#settler.lost(r.entry, r.error);
    for (let i = resend.length - 1; i >= 0; i--) {
      const entry = resend[i] as PendingPublish;
      entry.phase = BUFFERED;
      this.#buffer.unshift(entry);
    }
    this.#counts.republished += resend.length;
    if (lost.length > 0 || error !== undefined) {
      this.#log.warn({ err: error?.message, unconfirmed: lost.length, resent: resend.length }, 'confirm channel closed');
    }
    this.events.emit('channelClosed', error, lost.length, resend.length);
    this.#updateState();
    this.#checkIdle();
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

  /** Wakes close() once nothing waits for an answer: buffer empty, and every written message settled. */
  #checkIdle(): void {
    if (this.#onIdle !== undefined && this.#isIdle()) this.#onIdle();
  }

  #isIdle(): boolean {
    if (this.#buffer.length > 0) return false;
    for (const entry of this.#window.values()) if (entry.phase === WRITTEN) return false;
    return true;
  }

  #updateState(): void {
    const next: PublisherState = this.#closing
      ? 'closed'
      : this.#channels.current === undefined
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
