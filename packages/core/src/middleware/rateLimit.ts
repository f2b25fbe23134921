import type { ConsumerHost, Middleware, PolicyFactory } from './Middleware.js';

/** `@Consumer({ rateLimit })`: a token bucket applied before the handler. */
export interface RateLimitOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens the bucket holds (the burst allowed after a quiet spell). Default 1. */
  burst?: number;
  /** A name for /health. Default 'rateLimit'. */
  name?: string;
}

/** A token bucket that can be shared by several consumers that call the same API. */
export class RateLimiter {
  constructor(readonly options: RateLimitOptions) {
    throw new Error('RateLimiter: not implemented yet');
  }

  attach(_host: ConsumerHost): Middleware {
    throw new Error('RateLimiter: not implemented yet');
  }
}

/** Checks the `rateLimit` option (options or a shared RateLimiter) and returns the consumer's policy. */
export function rateLimitPolicy(value: unknown, fail: (problem: string) => never): PolicyFactory {
  void value;
  return fail('is not implemented yet');
}
