import { WarrenError, type WarrenErrorOptions } from './WarrenError.js';

/** No reply came by the request's deadline (its `timeoutMs`); the responder was told to stop. */
export class RequestTimeoutError extends WarrenError {
  constructor(message: string) {
    super('WARREN_ERR_REQUEST_TIMEOUT', message, { transient: true });
  }
}

/** The caller's AbortSignal fired before the reply came; the responder was told to stop. */
export class RequestCancelledError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_REQUEST_CANCELLED', message, { transient: false, ...options });
  }
}

/**
 * The responder's handler failed for good (it was not retried, or its retries ran out): its
 * error's name, code and message, never its stack.
 */
export class RemoteError extends WarrenError {
  /** The remote error's class name, e.g. 'TypeError' or 'Reject'. */
  readonly remoteName: string;
  /** The remote error's own `code`, if it had a string one. */
  readonly remoteCode: string | undefined;

  constructor(message: string, remoteName: string, remoteCode: string | undefined) {
    super('WARREN_ERR_REMOTE', message, { transient: false });
    this.remoteName = remoteName;
    this.remoteCode = remoteCode;
  }
}

/** The request could not be routed to any queue (published `mandatory`): nobody would answer it. */
export class NoResponderError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_NO_RESPONDER', message, { transient: true, ...options });
  }
}

/**
 * The channel the reply would have come on was lost after the request went out: direct reply-to
 * belongs to one channel, so the reply can no longer arrive. The responder may still do the work.
 */
export class ReplyLostError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_REPLY_LOST', message, { transient: true, ...options });
  }
}
