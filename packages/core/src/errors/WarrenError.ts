/**
 * The one error hierarchy of Warren. Every error carries a stable `code` (catalogued in
 * docs/errors.md), an optional `cause`, and `transient`: whether trying again later can succeed.
 * Match errors by class (`instanceof`) or by `code`, never by message text.
 */
export type WarrenErrorCode =
  | 'WARREN_ERR_CONFIG'
  | 'WARREN_ERR_BAD_URL'
  | 'WARREN_ERR_CONNECT'
  | 'WARREN_ERR_AUTH'
  | 'WARREN_ERR_TLS'
  | 'WARREN_ERR_VHOST'
  | 'WARREN_ERR_TOPOLOGY'
  | 'WARREN_ERR_RETRY_LATER'
  | 'WARREN_ERR_REJECT'
  | 'WARREN_ERR_DECODE'
  | 'WARREN_ERR_DEADLINE'
  | 'WARREN_ERR_DEPENDENCY_DOWN'
  | 'WARREN_ERR_BREAKER_OPEN'
  | 'WARREN_ERR_DOWNSTREAM_FULL'
  | 'WARREN_ERR_REQUEST_TIMEOUT'
  | 'WARREN_ERR_REQUEST_CANCELLED'
  | 'WARREN_ERR_REMOTE'
  | 'WARREN_ERR_NO_RESPONDER'
  | 'WARREN_ERR_REPLY_LOST'
  | 'WARREN_ERR_PUBLISH_NACKED'
  | 'WARREN_ERR_UNROUTABLE'
  | 'WARREN_ERR_PUBLISH_UNCONFIRMED'
  | 'WARREN_ERR_PUBLISH_TIMEOUT'
  | 'WARREN_ERR_BROKER_BLOCKED'
  | 'WARREN_ERR_PUBLISHER_CLOSED'
  | 'WARREN_ERR_PUBLISH_INVALID'
  | 'WARREN_ERR_CLOSED';

const brand: unique symbol = Symbol.for('@warren/core/WarrenError');

export interface WarrenErrorOptions {
  cause?: unknown;
  transient?: boolean;
}

export class WarrenError extends Error {
  readonly [brand] = true;
  readonly code: WarrenErrorCode;
  readonly transient: boolean;

  constructor(code: WarrenErrorCode, message: string, options: WarrenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.transient = options.transient ?? false;
  }

  /** True for any WarrenError, even one thrown by a second copy of this package. */
  static is(value: unknown): value is WarrenError {
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }
}

/**
 * A bad option or setting, found when the app starts, before any message is taken. A broker URL
 * that cannot be used is one too, with its own code, WARREN_ERR_BAD_URL.
 */
export class ConfigError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions, code: 'WARREN_ERR_CONFIG' | 'WARREN_ERR_BAD_URL' = 'WARREN_ERR_CONFIG') {
    super(code, message, options);
  }
}

/** The broker could not be reached, refused us, or the connection broke. */
export class ConnectionError extends WarrenError {}

/** Topology could not be declared: inequivalent arguments, a missing queue, no permission. */
export class TopologyError extends WarrenError {
  constructor(message: string, options?: WarrenErrorOptions) {
    super('WARREN_ERR_TOPOLOGY', message, options);
  }
}

/** The operation was attempted on something already closed. */
export class ClosedError extends WarrenError {
  constructor(message: string) {
    super('WARREN_ERR_CLOSED', message);
  }
}
