import { WarrenError, type WarrenErrorOptions } from './WarrenError.js';

/**
 * Thrown by a handler: try this message again later, through the broker's delay queue.
 * `delayMs` overrides the consumer's configured delay for this attempt.
 */
export class RetryLater extends WarrenError {
  readonly delayMs: number | undefined;

  constructor(message = 'retry requested by handler', options: WarrenErrorOptions & { delayMs?: number } = {}) {
    super('WARREN_ERR_RETRY_LATER', message, { ...options, transient: true });
    this.delayMs = options.delayMs;
  }
}

/** Thrown by a handler: this message can never succeed; dead-letter it now. */
export class Reject extends WarrenError {
  constructor(message = 'rejected by handler', options: WarrenErrorOptions = {}) {
    super('WARREN_ERR_REJECT', message, { ...options, transient: false });
  }
}

/** Same outcome as {@link Reject}, for code that prefers BullMQ's name for it. */
export class UnrecoverableError extends Reject {}

/** The body could not be decoded, was too large, or failed the consumer's schema. */
export class DecodeError extends WarrenError {
  /** Short machine-readable reason: 'invalid-json', 'content-type', 'schema', 'too-large', 'empty'. */
  readonly reason: string;

  constructor(reason: string, message: string, options: WarrenErrorOptions = {}) {
    super('WARREN_ERR_DECODE', message, { ...options, transient: false });
    this.reason = reason;
  }
}

/** The handler passed its deadline (`timeoutMs` or the message's deadline header). */
export class DeadlineExceededError extends WarrenError {
  /** True when the deadline was the message's own (`x-warren-deadline`): its caller has given up. */
  readonly fromMessage: boolean;

  constructor(message: string, options: { fromMessage?: boolean } = {}) {
    super('WARREN_ERR_DEADLINE', message, { transient: true });
    this.fromMessage = options.fromMessage === true;
  }
}

/**
 * Thrown by a handler when the downstream it calls says it is down or overloaded (a 503, a 429
 * with Retry-After): with a breaker, the message goes back to the queue with its counts unchanged
 * (not an attempt) and the breaker opens for `retryAfterMs` (or its own openMs); without one, it
 * is retried after `retryAfterMs` (or the configured delay), an attempt like RetryLater.
 */
export class DependencyDown extends WarrenError {
  readonly retryAfterMs: number | undefined;
  /**
   * Set by a circuit breaker that opened on it: the message then goes back uncounted. Without a
   * breaker nothing would stop intake, so it is retried after `retryAfterMs` like a RetryLater.
   */
  breakerOpened = false;

  constructor(options: WarrenErrorOptions & { retryAfterMs?: number; message?: string } = {}) {
    super('WARREN_ERR_DEPENDENCY_DOWN', options.message ?? 'the dependency is down', { ...options, transient: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A delivery reached an open circuit breaker before its handler ran: it goes back to the queue, uncounted. */
export class BreakerOpenError extends WarrenError {
  constructor(message: string) {
    super('WARREN_ERR_BREAKER_OPEN', message, { transient: true });
  }
}
