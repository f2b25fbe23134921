import type { Delivery } from '../consumer/Delivery.js';

/** The next step of the pipeline: the next middleware, or in the end the handler. */
export type Next = (delivery: Delivery) => Promise<void>;

/**
 * One back-pressure mechanism. `run` wraps the rest of the pipeline; it slows intake by not
 * returning (the delivery stays unacked and holds its prefetch slot), never by buffering.
 * `describe` reports limits and live state for the startup log, health and metrics.
 */
export interface Middleware {
  readonly name: string;
  run(delivery: Delivery, next: Next): Promise<void>;
  describe(): Record<string, unknown>;
}

/**
 * Builds the pipeline once, at start, outermost first: each layer's `next` is a fixed function,
 * so no closure is allocated per message.
 */
export function compose(middlewares: readonly Middleware[], handler: Next): Next {
  let next = handler;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const mw = middlewares[i] as Middleware;
    const inner = next;
    next = (delivery) => mw.run(delivery, inner);
  }
  return next;
}
