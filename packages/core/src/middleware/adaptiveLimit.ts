import type { Middleware, PolicyFactory } from './Middleware.js';

/** `@Consumer({ concurrency: { adaptive } })`: a limit that follows the handler's latency. */
export interface AdaptiveLimitOptions {
  /** The limit never goes below this. */
  min: number;
  /** ...nor above this. */
  max: number;
}

/** What the consumer needs of its limit policy, static or adaptive. */
export interface LimitPolicy extends Middleware {
  /** Most handlers seen running at once. */
  readonly maxSeen: number;
}

/** Checks `concurrency: { adaptive }` against the consumer's prefetch and returns the consumer's limit policy. */
export function adaptiveLimitPolicy(value: unknown, prefetch: number, fail: (problem: string) => never): PolicyFactory {
  void value;
  void prefetch;
  return fail('is not implemented yet');
}
