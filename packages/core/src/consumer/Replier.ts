import type { Logger } from '../logging/logger.js';
import { HEADER, truncate } from '../message/headers.js';
import type { Delivery } from './Delivery.js';
import { describeFailure, type Ending, type Outcome } from './outcome.js';
import type { Republisher } from './Republisher.js';

/**
 * Answers requests: a delivery with `replyTo` gets a reply once its outcome is final. Acked: the
 * handler's return value. Dead-lettered: an error reply with the failure's name, code and message
 * (never its stack). Retried or put back: no reply yet (the reply waits for the final outcome).
 * Expired, or cancelled by its caller: no reply (nobody is waiting). The reply is handed to the
 * publisher (Publisher.reply) before the request is acked, but not awaited: a crash, or a
 * publisher blocked for longer than the reply's 5 s, can lose it after the ack, and the caller
 * then times out — RPC's usual contract, and direct reply-to's own (at most once; a redelivered
 * request answers twice; the caller drops the second).
 */
export class Replier {
  replies = 0;
  errorReplies = 0;
  failedReplies = 0;

  constructor(
    readonly republisher: Republisher,
    readonly log: Logger,
  ) {}

  answer(delivery: Delivery, outcome: Outcome, ending: Ending): void {
    const { replyTo, correlationId } = delivery.properties;
    if (replyTo === undefined || replyTo === '' || delivery.abortCause === 'cancelled') return;
    let reply: { content: Buffer; contentType: string | undefined; status: 'ok' | 'error' };
    // Only a handler that succeeded answers with a value: an expired request is acked (dropped) too.
    if (ending.ok) reply = this.#ok(delivery.result);
    else if (outcome.action === 'dead-letter' && outcome.reason !== 'expired') reply = errorReply(ending.error);
    else return;
    if (reply.status === 'ok') this.replies++;
    else this.errorReplies++;
    // A reply without a status is 'ok': only an error reply has headers, which the broker decodes (see requestCorrelationId).
    const options = {
      correlationId,
      contentType: reply.contentType,
      headers: reply.status === 'ok' ? undefined : { [HEADER.replyStatus]: reply.status },
      persistent: false,
      timeoutMs: 5000,
    };
    this.republisher.reply(replyTo, reply.content, options).catch((e: Error) => {
      // The caller may be gone (its channel closed): its reply has nowhere to go.
      this.failedReplies++;
      this.log.debug({ messageId: delivery.messageId, err: e.message }, 'could not send a reply');
    });
  }

  #ok(result: unknown): { content: Buffer; contentType: string | undefined; status: 'ok' } | ReturnType<typeof errorReply> {
    if (Buffer.isBuffer(result)) return { content: result, contentType: 'application/octet-stream', status: 'ok' };
    if (typeof result === 'string') return { content: Buffer.from(result), contentType: 'text/plain; charset=utf-8', status: 'ok' };
    if (result === undefined) return { content: Buffer.alloc(0), contentType: 'application/json', status: 'ok' };
    try {
      return { content: Buffer.from(JSON.stringify(result)), contentType: 'application/json', status: 'ok' };
    } catch (error) {
      return errorReply(new TypeError(`the reply could not be serialized as JSON: ${describeFailure(error).message}`));
    }
  }
}

function errorReply(error: unknown): { content: Buffer; contentType: string; status: 'error' } {
  const f = describeFailure(error);
  const body = {
    name: truncate(f.name, 200),
    code: f.code === undefined ? undefined : truncate(f.code, 200),
    message: truncate(f.message),
  };
  return { content: Buffer.from(JSON.stringify(body)), contentType: 'application/json', status: 'error' };
}
