import { DELIVERY_COUNT, HEADER, messageDeadline, truncate } from '../message/headers.js';
import type { MessageProperties, ReceivedMessage } from '../message/MessageContext.js';
import { headerTableBytes } from '../publisher/headerFrame.js';
import type { RepublishOptions } from './Republisher.js';

/** What a copy may set beyond the original's properties. */
export type CopyPublishOptions = Pick<RepublishOptions, 'expiration' | 'timeoutMs'>;

/**
 * The publish options for a copy of a received message (a retry, a dead letter, a counted
 * redelivery, a put-back): the original's properties and headers, where it came from, and
 * Warren's headers on top. The broker's own count (`x-delivery-count`) belongs to the delivery,
 * not to a new copy. A retry or a dead letter is a new start: the message's deadline stays behind
 * (`keepDeadline` false), so a replayed dead letter is not expired before it runs.
 *
 * With `trim`, only the original's headers that can be sent again are kept (one by one, within
 * TRIMMED_HEADER_BYTES in all), and the others are named in `x-warren-headers-dropped`: for a copy
 * that failed to encode (a foreign table amqplib cannot write, headers grown past the frame).
 */
export function copyOptions(
  message: Pick<ReceivedMessage, 'properties' | 'fields'>,
  warrenHeaders: Readonly<Record<string, unknown>>,
  keepDeadline: boolean,
  trim = false,
): RepublishOptions {
  const p = message.properties;
  const original = (p.headers ?? {}) as Record<string, unknown>;
  const headers: Record<string, unknown> = trim ? sendableHeaders(original) : { ...original };
  headers[HEADER.originalExchange] ??= message.fields.exchange;
  headers[HEADER.originalRoutingKey] ??= message.fields.routingKey;
  if (warrenHeaders[HEADER.error] !== undefined) headers[HEADER.firstFailureAt] ??= new Date().toISOString();
  delete headers[DELIVERY_COUNT];
  // A copy that keeps its deadline carries it as a header (a request's was in its correlation id).
  const deadline = keepDeadline ? messageDeadline(p) : undefined;
  if (deadline === undefined) delete headers[HEADER.deadline];
  else headers[HEADER.deadline] = deadline;
  Object.assign(headers, warrenHeaders);
  // mandatory: a copy to a queue someone deleted must fail, not be confirmed and dropped.
  const options: RepublishOptions = { ...propertiesOf(p, headers), mandatory: true };
  // A copy that keeps its deadline expires in the broker when it passes, as its original would have.
  if (deadline !== undefined) options.expiration = String(Math.max(1, deadline - Date.now()));
  return options;
}

/** Room left for an app's headers in a trimmed copy; Warren's own need a few KiB at most. */
export const TRIMMED_HEADER_BYTES = 32 * 1024;

/** The headers that can be sent again, each alone and within TRIMMED_HEADER_BYTES in all, plus the names of the rest. */
export function sendableHeaders(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    let size: number;
    try {
      size = headerTableBytes({ [name]: value }) - 4;
    } catch {
      dropped.push(name);
      continue;
    }
    if (bytes + size > TRIMMED_HEADER_BYTES) {
      dropped.push(name);
      continue;
    }
    bytes += size;
    kept[name] = value;
  }
  if (dropped.length > 0) kept[HEADER.headersDropped] = truncate(dropped.join(','));
  return kept;
}

/** The AMQP properties of a received message, as options to send a copy of it (expiration aside). */
export function propertiesOf(p: MessageProperties, headers: Record<string, unknown>): RepublishOptions {
  const options: RepublishOptions = { headers, persistent: p.deliveryMode !== 1 };
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.replyTo !== undefined) options.replyTo = p.replyTo;
  if (p.type !== undefined) options.type = p.type;
  if (p.appId !== undefined) options.appId = p.appId;
  if (p.priority !== undefined) options.priority = p.priority;
  return options;
}
