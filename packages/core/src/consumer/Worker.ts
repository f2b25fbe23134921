import type { MessageContext } from '../message/MessageContext.js';

/**
 * The base class of every consumer. Return normally to ack; throw `RetryLater` (or any error)
 * to retry later; throw `Reject` to dead-letter now. Honour `ctx.signal`: it aborts on the
 * deadline, at shutdown, and when a request's caller gives up. For a request (a message with
 * `replyTo`), the value returned is the reply.
 */
export abstract class Worker<T = unknown, TReply = unknown> {
  abstract handle(payload: T, ctx: MessageContext<T>): Promise<TReply>;
}
