import type { BrokerUrlOptions } from '../connection/brokerUrl.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { Logger } from '../logging/logger.js';

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
  /**
   * Gives up on the publish if this aborts before it is written (waiting in the buffer, or held
   * at a queue's `limits` mark): it rejects with the signal's reason, within 50 ms, and is never
   * sent. Pass a handler's `ctx.signal`, so a publish held past its attempt's deadline does not go
   * out beside the retry's. Once written it cannot be taken back.
   */
  signal?: AbortSignal;
  /** Pass the publisher's `limits` for this one: for a message that takes the place of one already counted (Warren's retry and put-back copies). */
  ignoreLimits?: boolean;
}

/** A mark on one destination queue, for `PublisherOptions.limits`. */
export interface QueueLimitOptions {
  /** Ready messages at which new publishes to the queue stop (a whole number, 1 or more). */
  maxReady: number;
  /**
   * 'wait' (default): hold publishes until the queue is under its mark again, up to their deadline
   * (then DownstreamFullError); 'fail-fast': reject them at once with DownstreamFullError.
   */
  policy?: 'wait' | 'fail-fast';
  /** The queue's depth is asked of the broker (a passive declare) at most this often, in ms (default 250). */
  sampleEveryMs?: number;
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
  /**
   * Re-send written-but-unconfirmed messages after a reconnect instead of failing them with
   * PublishUnconfirmedError (at-least-once: duplicates possible, never a loss). Default: true with
   * several broker URLs (a cluster, where a node going away is routine), else false.
   */
  republishUnconfirmed?: boolean;
  /** Try `urls` in a random order (default false: in the order given). */
  shuffle?: boolean;
  /** How long close() waits for outstanding confirms (default 5 s). */
  closeGraceMs?: number;
  /** Body size limit (default 16 MiB, RabbitMQ 4's max_message_size); raise it only as far as the broker's own. */
  maxMessageBytes?: number;
  /**
   * Marks on destination queues, by queue name: while a queue has `maxReady` ready messages or more,
   * publishes to it wait or fail (`DownstreamFullError`), and publishes to other queues go on.
   * Applies to `send(queue)` and `publish('', queue)`: a publish through an exchange cannot know its queues.
   */
  limits?: Record<string, QueueLimitOptions>;
  logger?: Logger;
}
