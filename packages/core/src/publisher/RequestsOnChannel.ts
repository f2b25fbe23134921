import type { Logger } from '../logging/logger.js';
import { CANCEL_EXCHANGE } from '../message/headers.js';
import type { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';
import { ConfirmChannelSession } from './ConfirmChannelSession.js';
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
  /** Whether cancel notices can be sent (the warren.cancel exchange exists); asked once, with the first request. */
  #notices: Promise<boolean> = Promise.resolve(false);
  /** Told each answered request's round trip (metrics); read by the client at each answer. */
  roundTrip: ((ms: number, ok: boolean) => void) | undefined;

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
        answered: (ms, ok) => this.roundTrip?.(ms, ok),
        notifyResponders: (correlationId, deadline) => this.#notify(correlationId, deadline),
      });
      this.#notices = ConfirmChannelSession.cancelExchangeReady(this.#channels.connection).then((ready) => {
        if (!ready)
          this.#log.warn(
            `cannot use the ${CANCEL_EXCHANGE} exchange: cancelled or timed-out requests run on at the responder until their deadline`,
          );
        return ready;
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

  /** A cancel notice, once the exchange is known to exist (a publish to a missing one would close the confirm channel). */
  #notify(correlationId: string, deadline: number): void {
    void this.#notices.then((ready) => {
      if (!ready) return;
      this.#hooks
        .publish(CANCEL_EXCHANGE, '', { correlationId, deadline }, { timeoutMs: 5000, persistent: false })
        .catch((error: Error) => {
          this.#log.debug({ err: error.message }, 'could not send a cancel notice');
        });
    });
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
