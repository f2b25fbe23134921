/** The publish options the consume loop needs to move a message to a retry queue or the DLQ. */
export interface RepublishOptions {
  headers?: Record<string, unknown>;
  messageId?: string;
  timestamp?: number;
  contentType?: string;
  contentEncoding?: string;
  persistent?: boolean;
  expiration?: string | number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  type?: string;
  appId?: string;
  /** Fail (UnroutableError) instead of being dropped when no queue takes it. */
  mandatory?: boolean;
  /** Deadline for this send; the publisher's own otherwise. */
  timeoutMs?: number;
}

/** The AMQP properties of a received message, as options to send a copy of it (expiration aside). */
export function propertiesOf(p: MessagePropertiesLike, headers: Record<string, unknown>): RepublishOptions {
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

/** amqplib's MessageProperties, as far as a copy needs them (it types most as `any`). */
export interface MessagePropertiesLike {
  deliveryMode?: number | undefined;
  messageId?: string | undefined;
  timestamp?: number | undefined;
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  type?: string | undefined;
  appId?: string | undefined;
  priority?: number | undefined;
}
