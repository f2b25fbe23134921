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
}

/**
 * Sends a message to a queue and resolves on the broker's confirm. The app's Publisher is one;
 * retries and dead letters go through it, on the publishing connection, so the consume
 * connection only ever acks (a blocked publish can never stall acks).
 */
export interface Republisher {
  send(queue: string, body: Buffer, options?: RepublishOptions): Promise<void>;
}
