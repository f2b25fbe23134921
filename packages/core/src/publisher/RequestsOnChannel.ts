import type { Logger } from '../logging/logger.js';
import type { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';
import type { ConfirmChannelSession } from './ConfirmChannelSession.js';
import type { PublishOptions } from './PublisherOptions.js';
import { RequestClient, type RequestCounts, type RequestOptions } from './RequestClient.js';

/** What request/reply needs of the publisher. */
export interface RequestChannelHooks {
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions): Promise<void>;
  /** Write nothing more on the current channel: its reply consumer is starting. */
  hold(): void;
  /** The current channel's reply consumer is on: writing may go on. */
  go(): void;
}

/**
 * Request/reply on the publisher's confirm channel: the RequestClient, made on the first request,
 * and on every channel the direct reply-to consumer, started before anything more is written there
 * (RabbitMQ closes a channel that sends a request without one). Apart from Publisher so the
 * publish path reads without it; a publisher that never requests starts no client and no consumer.
 */
export class RequestsOnChannel {
  readonly #channels: ConfirmChannelKeeper;
  readonly #hooks: RequestChannelHooks;
  readonly #defaultTimeoutMs: number;
  readonly #log: Logger;
  #client: RequestClient | undefined;

  constructor(channels: ConfirmChannelKeeper, defaultTimeoutMs: number, log: Logger, hooks: RequestChannelHooks) {
    this.#channels = channels;
    this.#hooks = hooks;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#log = log;
  }

  request<TReply>(exchange: string, routingKey: string, body: unknown, options?: RequestOptions): Promise<TReply> {
    if (this.#client === undefined) {
      const hooks = this.#hooks;
      this.#client = new RequestClient({
        publish: (e, k, b, o) => hooks.publish(e, k, b, o),
        defaultTimeoutMs: this.#defaultTimeoutMs,
        log: this.#log,
      });
      const session = this.#channels.current;
      if (session !== undefined) this.#startReplies(session, this.#client);
    }
    return this.#client.request<TReply>(exchange, routingKey, body, options);
  }

  /** A new confirm channel is current: once requests were made, it needs its reply consumer. */
  opened(session: ConfirmChannelSession): void {
    if (this.#client !== undefined) this.#startReplies(session, this.#client);
  }

  /** The confirm channel is gone, and with it the replies to the requests it carried (RequestClient.channelLost). */
  channelLost(): void {
    this.#client?.channelLost();
  }

  /** Fails every request still waiting for its reply (the publisher closes). */
  closeAll(error: Error): void {
    this.#client?.closeAll(error);
  }

  /** For PublisherStats: undefined until the first request. */
  stats(): (RequestCounts & { pending: number }) | undefined {
    const c = this.#client;
    return c === undefined ? undefined : { ...c.counts, pending: c.pending };
  }

  #startReplies(session: ConfirmChannelSession, client: RequestClient): void {
    this.#hooks.hold();
    session
      .prepareRequests((reply) => client.onReply(reply))
      .then(
        () => {
          if (this.#channels.current === session) this.#hooks.go();
        },
        (error: Error) => this.#log.warn({ err: error.message }, 'could not start the reply consumer; the channel is reopened'),
      );
  }
}
