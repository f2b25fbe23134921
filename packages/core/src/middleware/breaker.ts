import type { ConsumerHost, Middleware, PolicyFactory } from './Middleware.js';

/** `@Consumer({ breaker })`: when the dependency fails, stop taking messages instead of failing them. */
export interface BreakerOptions {
  /** Open when the share of failed calls in the window reaches this (0 < failureRate <= 1). */
  failureRate: number;
  /** ...but only once the window holds at least this many calls. */
  minCalls: number;
  /** The sliding window the failure rate is measured over. */
  windowMs: number;
  /** How long it stays open before letting probes through; grows on each failed probe, up to maxOpenMs. */
  openMs: number;
  /** How many deliveries a half-open breaker lets through to test the dependency. */
  halfOpenProbes: number;
  /** The longest openMs grows to. Default 10 × openMs. */
  maxOpenMs?: number;
  /** Which errors count against the dependency. Default: any error except Reject and DecodeError. */
  isFailure?: (error: unknown) => boolean;
  /** A name for logs, events and /health. Default: the consumer's name (or 'breaker' when shared). */
  name?: string;
}

/** A circuit breaker that can be shared by several consumers that call the same dependency. */
export class CircuitBreaker {
  constructor(readonly options: BreakerOptions) {
    throw new Error('CircuitBreaker: not implemented yet');
  }

  /** The policy for one consumer: when this breaker opens, that consumer's intake stops. */
  attach(_host: ConsumerHost): Middleware {
    throw new Error('CircuitBreaker: not implemented yet');
  }
}

/** Checks the `breaker` option (options or a shared CircuitBreaker) and returns the consumer's policy. */
export function breakerPolicy(value: unknown, fail: (problem: string) => never): PolicyFactory {
  void value;
  return fail('is not implemented yet');
}
