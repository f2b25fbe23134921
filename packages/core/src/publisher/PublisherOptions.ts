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
