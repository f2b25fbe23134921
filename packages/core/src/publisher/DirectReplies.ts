import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { Logger } from '../logging/logger.js';
import { DIRECT_REPLY_TO } from '../message/headers.js';
import { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';
import { ChannelClosingError, type ConfirmChannelSession } from './ConfirmChannelSession.js';
import { settle } from './PendingPublish.js';
import type { PublishOptions } from './PublisherOptions.js';
import type { PublishCounts } from './PublishSettler.js';
import { type PublishLimits, preparePublish } from './preparePublish.js';

/** What RabbitMQ rewrites a request's `amq.rabbitmq.reply-to` into: a reply to it goes to a requester's channel, not a queue. */
const DIRECT_REPLY_TO_PREFIX = `${DIRECT_REPLY_TO}.`;

/** Whether a reply to `replyTo` goes over direct reply-to (else to a real queue). */
export function isDirectReplyTo(replyTo: string): boolean {
  return replyTo.startsWith(DIRECT_REPLY_TO_PREFIX);
}

/**
 * Replies to direct reply-to, written unconfirmed on a plain channel of the publishing
 * connection. RabbitMQ delivers such a reply at most once, drops it if its requester is gone,
 * never returns it, and confirms it all the same (docs/direct-reply-to): a confirm there tells
 * nothing, and waiting for it delayed every reply by the broker's confirm work. The channel is
 * opened by the first reply (a publisher that answers none keeps no second channel), again after
 * it could not be, and, once wanted, whenever the connection is back.
 */
export class DirectReplies {
  readonly #conn: ConnectionManager;
  readonly #log: Logger;
  readonly #limits: PublishLimits;
  readonly #counts: PublishCounts;
  readonly #channel: ConfirmChannelKeeper;
  #wanted = false;

  constructor(conn: ConnectionManager, log: Logger, limits: PublishLimits, counts: PublishCounts) {
    this.#conn = conn;
    this.#log = log;
    this.#limits = limits;
    this.#counts = counts;
    const closed = (error: Error | undefined): void => log.debug({ err: error?.message }, 'reply channel closed');
    this.#channel = new ConfirmChannelKeeper(conn, log, { opened: () => undefined, closed }, false);
  }

  /**
   * Writes the reply and returns true; false when it must go the confirmed way instead (no channel
   * open yet: one is opened; or the channel is closing). Throws InvalidPublishError when it cannot
   * be published at all.
   */
  write(replyTo: string, body: Buffer, options: PublishOptions): boolean {
    const channel = this.#channel.current;
    if (channel === undefined) {
      if (this.#conn.state === 'connected') this.#open();
      return false;
    }
    const entry = preparePublish('', replyTo, body, options, this.#limits);
    // Written, or never written: either way nothing more is heard of it (drops a `signal` listener, if one was given).
    try {
      channel.publish(entry);
    } catch (error) {
      if (error instanceof ChannelClosingError) return false;
      throw error;
    } finally {
      settle(entry);
    }
    this.#counts.directReplies++;
    return true;
  }

  /** The connection is up again, as `generation`. */
  connected(generation: number): void {
    if (this.#wanted) this.#channel.connected(generation);
  }

  /** Opens no more channels; the current one stays until release(). */
  stop(): void {
    this.#channel.stop();
  }

  /** Hands over the current channel, if any, for closing. */
  release(): ConfirmChannelSession | undefined {
    return this.#channel.release();
  }

  #open(): void {
    this.#wanted = true;
    this.#channel.open().catch((error: Error) => this.#log.debug({ err: error.message }, 'cannot open the reply channel'));
  }
}
