import { WarrenError, type WarrenErrorOptions } from './WarrenError.js';

/** The broker refused responsibility for the message (basic.nack), e.g. a full queue with reject-publish. */
export class PublishNackedError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_PUBLISH_NACKED', message, { transient: true, ...options });
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
