import { WarrenError, type WarrenErrorOptions } from './WarrenError.js';

/**
 * The broker refused responsibility for a message published through an exchange (basic.nack), e.g.
 * a queue it was routed to is full with reject-publish (other queues may have taken it). Straight to
 * a queue, a nack is a DownstreamFullError.
 */
export class PublishNackedError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_PUBLISH_NACKED', message, { transient: true, ...options });
  }
}

/**
 * The destination queue is full, and the message is not in it (a retry cannot duplicate it):
 * `by: 'limit'`: the publisher's `limits` held it past its deadline ('wait') or refused it at once
 * ('fail-fast'), never written; `by: 'broker'`: the queue itself refused it (`x-max-length` with
 * `x-overflow: reject-publish` answers basic.nack). Only publishes straight to a queue
 * (`send(queue)`, `publish('', queue)`) get it: a nack of a publish through an exchange may come
 * from one of several queues, the others having taken the message, so that stays a PublishNackedError.
 */
export class DownstreamFullError extends WarrenError {
  readonly queue: string;
  readonly by: 'limit' | 'broker';
  /** Ready messages in the queue at the publisher's last sample, if it has one. */
  readonly ready: number | undefined;

  constructor(message: string, details: { queue: string; by: 'limit' | 'broker'; ready?: number | undefined }) {
    super('WARREN_ERR_DOWNSTREAM_FULL', message, { transient: true });
    this.queue = details.queue;
    this.by = details.by;
    this.ready = details.ready;
  }
}

/** A `mandatory` message matched no queue (basic.return). */
export class UnroutableError extends WarrenError {
  readonly replyCode: number;
  readonly replyText: string;

  constructor(message: string, replyCode: number, replyText: string) {
    super('WARREN_ERR_UNROUTABLE', message, { transient: false });
    this.replyCode = replyCode;
    this.replyText = replyText;
  }
}

/**
 * The message was written but the connection or channel died before the broker confirmed it:
 * its fate is unknown (it may or may not be in the queue). Retrying may duplicate it.
 */
export class PublishUnconfirmedError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_PUBLISH_UNCONFIRMED', message, { transient: true, ...options });
  }
}

/**
 * The publish passed its deadline. `written` tells whether it reached the socket: if false, the
 * broker never saw it and a retry cannot duplicate it; if true, its fate is unknown.
 */
export class PublishTimeoutError extends WarrenError {
  readonly written: boolean;

  constructor(message: string, written: boolean) {
    super('WARREN_ERR_PUBLISH_TIMEOUT', message, { transient: true });
    this.written = written;
  }
}

/** The broker is blocking publishers (memory or disk alarm) and the policy is 'fail-fast', or the buffer is full. */
export class BrokerBlockedError extends WarrenError {
  constructor(message: string) {
    super('WARREN_ERR_BROKER_BLOCKED', message, { transient: true });
  }
}

/** The publisher is closed (or closing) and takes no new messages; or it closed before this one was written. */
export class PublisherClosedError extends WarrenError {
  constructor(message: string) {
    super('WARREN_ERR_PUBLISHER_CLOSED', message, { transient: false });
  }
}

/**
 * The message itself cannot be published: a bad option, a header that cannot be encoded, a body
 * over `maxMessageBytes`. Found in publish() before anything is written, so the broker never sees
 * it and the confirm channel shared by every publish in flight stays open.
 */
export class InvalidPublishError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_PUBLISH_INVALID', message, { transient: false, ...options });
  }
}
