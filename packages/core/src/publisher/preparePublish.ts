import { DeadlineExceededError } from '../errors/handlerErrors.js';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { messageDeadlineHere } from '../message/deadlineScope.js';
import { deadlineHeader, HEADER } from '../message/headers.js';
import { newUuid } from '../message/uuid.js';
import { checkPublish } from './checkPublish.js';
import { contentHeaderFrameBytes, frameTooLarge, headerTableBytes } from './headerFrame.js';
import { BUFFERED, PendingPublish, type PublishProperties } from './PendingPublish.js';
import type { PublishOptions } from './PublisherOptions.js';
import { serializeBody } from './serialize.js';

/** What a publish is checked against. One object per publisher, so the hot path allocates none; `frameMax` follows the connection. */
export interface PublishLimits {
  /** The deadline of a publish that sets no timeoutMs. */
  readonly timeoutMs: number;
  readonly maxMessageBytes: number;
  /** Of the current (or last) connection; amqplib's request until one is negotiated. */
  frameMax: number;
}

/**
 * Checks, serialises and maps one publish, or throws InvalidPublishError. Everything the broker
 * or amqplib would refuse is refused here, before the message is buffered or written: refused by
 * the broker, it would close the confirm channel (or the connection) every publish in flight shares.
 */
export function preparePublish(
  exchange: string,
  routingKey: string,
  body: unknown,
  options: PublishOptions,
  limits: PublishLimits,
): PendingPublish {
  checkPublish(exchange, routingKey, options);
  // A Buffer goes as it is (the common case on a hot path: no intermediate object).
  let content: Buffer;
  let impliedType: string | undefined;
  if (Buffer.isBuffer(body)) content = body;
  else ({ content, contentType: impliedType } = serializeBody(body));
  if (content.length > limits.maxMessageBytes) {
    throw new InvalidPublishError(
      `message body is ${content.length} bytes, over maxMessageBytes (${limits.maxMessageBytes}); the broker closes the channel on a body over its max_message_size`,
    );
  }
  const now = Date.now();
  let headers = options.headers;
  let expiration = options.expiration === undefined ? undefined : String(options.expiration);
  const travelling = messageDeadlineHere();
  if (travelling !== undefined) {
    // Published by a handler whose message has a deadline: the caller gives up then, so this work
    // carries it (or its own, if sooner), and the broker drops it once it passes.
    const own = headers === undefined ? undefined : deadlineHeader(headers);
    const deadline = own === undefined || travelling < own ? travelling : own;
    const remaining = deadline - now;
    if (remaining <= 0) {
      throw new DeadlineExceededError(`the deadline of the message being handled passed ${-remaining} ms ago: nothing published`, {
        fromMessage: true,
      });
    }
    headers = { ...headers, [HEADER.deadline]: deadline };
    if (expiration === undefined || remaining < Number(expiration)) expiration = String(remaining);
  }
  const properties: PublishProperties = {
    headers,
    messageId: options.messageId ?? newUuid(),
    timestamp: options.timestamp ?? Math.floor(now / 1000),
    contentType: options.contentType ?? impliedType,
    contentEncoding: options.contentEncoding,
    persistent: options.persistent ?? true,
    mandatory: options.mandatory === true,
    expiration,
    priority: options.priority,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    type: options.type,
    appId: options.appId,
  };
  let headerFrameBytes = 0;
  if (headers !== undefined) {
    headerFrameBytes = contentHeaderFrameBytes(properties, headerTableBytes(headers));
    if (headerFrameBytes > limits.frameMax) throw frameTooLarge(headerFrameBytes, limits.frameMax);
  }
  let deadline = now + (options.timeoutMs ?? limits.timeoutMs);
  // Work for a caller who gives up at `travelling` is not written after that, either.
  if (travelling !== undefined && travelling < deadline) deadline = travelling;
  const entry = new PendingPublish(exchange, routingKey, content, properties, deadline, headerFrameBytes);
  const signal = options.signal;
  if (signal !== undefined) {
    if (signal.aborted) throw abortReason(signal);
    const onAbort = (): void => {
      if (entry.phase !== BUFFERED) return;
      entry.abortedBy = abortReason(signal);
      entry.deadline = 0;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    entry.unlisten = () => signal.removeEventListener('abort', onAbort);
  }
  return entry;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the publish was aborted by its signal before it was written');
}
