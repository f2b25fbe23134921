import type { PublishOptions } from '../publisher/PublisherOptions.js';

/** The publish options of a copy: the Publisher's own. */
export type RepublishOptions = PublishOptions;

/**
 * Sends a message to a queue and resolves on the broker's confirm. The app's Publisher is one;
 * retries and dead letters go through it, on the publishing connection, so the consume
 * connection only ever acks (a blocked publish can never stall acks).
 */
export interface Republisher {
  send(queue: string, body: Buffer, options?: RepublishOptions): Promise<void>;
  /** A request's answer to its `replyTo`: see Publisher.reply (unconfirmed to direct reply-to, else as send). */
  reply(replyTo: string, body: Buffer, options: RepublishOptions): Promise<void>;
}
