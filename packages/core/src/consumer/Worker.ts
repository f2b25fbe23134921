import type { MessageContext } from '../message/MessageContext.js';

/**
 * The base class of every consumer. Return normally to ack; throw `RetryLater` (or any error)
 * to retry later; throw `Reject` to dead-letter now. Honour `ctx.signal`: it aborts on the
 * deadline and at shutdown.
 */
export abstract class Worker<T = unknown> {
  abstract handle(payload: T, ctx: MessageContext<T>): Promise<void>;
}
