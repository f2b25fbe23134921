import { randomUUID } from 'node:crypto';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { checkPublish } from './checkPublish.js';
import { contentHeaderFrameBytes, frameTooLarge, headerTableBytes } from './headerFrame.js';
import { PendingPublish, type PublishProperties } from './PendingPublish.js';
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
  const serialized = serializeBody(body);
  const content = serialized.content;
  if (content.length > limits.maxMessageBytes) {
    throw new InvalidPublishError(
      `message body is ${content.length} bytes, over maxMessageBytes (${limits.maxMessageBytes}); the broker closes the channel on a body over its max_message_size`,
    );
  }
  const now = Date.now();
  const properties: PublishProperties = {
    headers: options.headers,
    messageId: options.messageId ?? randomUUID(),
    timestamp: options.timestamp ?? Math.floor(now / 1000),
    contentType: options.contentType ?? serialized.contentType,
    contentEncoding: options.contentEncoding,
    persistent: options.persistent ?? true,
    mandatory: options.mandatory === true,
    expiration: options.expiration === undefined ? undefined : String(options.expiration),
    priority: options.priority,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    type: options.type,
    appId: options.appId,
  };
  let headerFrameBytes = 0;
  if (options.headers !== undefined) {
    headerFrameBytes = contentHeaderFrameBytes(properties, headerTableBytes(options.headers));
    if (headerFrameBytes > limits.frameMax) throw frameTooLarge(headerFrameBytes, limits.frameMax);
  }
  return new PendingPublish(exchange, routingKey, content, properties, now + (options.timeoutMs ?? limits.timeoutMs), headerFrameBytes);
}
