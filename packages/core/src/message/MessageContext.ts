import type { Logger } from '../logging/logger.js';

/** The AMQP properties of a delivery, as the broker handed them over. */
export interface MessageProperties {
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly headers: Readonly<Record<string, unknown>> | undefined;
  readonly deliveryMode: number | undefined;
  readonly priority: number | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly expiration: string | undefined;
  readonly messageId: string | undefined;
  readonly timestamp: number | undefined;
  readonly type: string | undefined;
  readonly userId: string | undefined;
  readonly appId: string | undefined;
}

/** The AMQP fields of a delivery. */
export interface DeliveryFields {
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly consumerTag: string;
}

/** A message as the broker delivered it (amqplib's ConsumeMessage has this shape). */
export interface ReceivedMessage {
  readonly content: Buffer;
  readonly fields: DeliveryFields;
  readonly properties: MessageProperties;
}

/** What a handler gets besides the payload. One per delivery. */
export interface MessageContext<T = unknown> {
  /** The decoded (and, with a schema, validated) body. */
  readonly payload: T;
  /** The raw body, as received. */
  readonly body: Buffer;
  readonly consumer: string;
  readonly queue: string;
  readonly messageId: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: MessageProperties;
  readonly fields: DeliveryFields;
  /** True when the broker delivered this message before (crash, connection loss). */
  readonly redelivered: boolean;
  /** 1 for the first attempt; counts Warren's retries and the broker's redeliveries. */
  readonly attempt: number;
  /** Aborts on the handler's deadline and when shutdown's grace period runs out. */
  readonly signal: AbortSignal;
  /** A logger bound to this message (consumer, queue, messageId). */
  readonly log: Logger;
}
