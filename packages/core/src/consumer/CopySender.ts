import { InvalidPublishError } from '../errors/publishErrors.js';
import type { Logger } from '../logging/logger.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { assertRetryQueue, declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { type ConsumerChannel, withSideChannel } from './ConsumerChannel.js';
import { type CopyPublishOptions, copyOptions } from './copies.js';
import type { Delivery } from './Delivery.js';
import { describeFailure } from './outcome.js';
import type { Republisher } from './Republisher.js';

/** A copy stands for a message already taken in, not new work: the publisher's `limits` never hold it (a held copy would hold its delivery's settle). */
const COPY = { ignoreLimits: true } as const;

/**
 * Sends the copies a consumer makes of its deliveries (retries, dead letters, counted
 * redeliveries, put-backs) through the app's publisher, and keeps the queues they go to: the
 * retry queues it has declared, and the whole topology declared again when a target is missing.
 * Topology work runs on a side channel, leaving the consumer's channel and deliveries alone.
 */
export class CopySender {
  readonly #declaredDelays: Set<number>;
  readonly #d: { options: ResolvedConsumerOptions; channel: ConsumerChannel; republisher: Republisher; log: Logger };

  constructor(deps: { options: ResolvedConsumerOptions; channel: ConsumerChannel; republisher: Republisher; log: Logger }) {
    this.#d = deps;
    this.#declaredDelays = new Set(deps.options.retry.delaysMs);
  }

  /** Every retry queue declared so far: declared again with the topology on every reopen. */
  get declaredDelays(): Iterable<number> {
    return this.#declaredDelays;
  }

  /**
   * Sends a copy of a delivery and resolves on its confirm. A copy that cannot be encoded (a
   * foreign header amqplib cannot write, headers grown past the frame size) goes again with only
   * the headers that can be sent, naming the ones left out; if even that cannot be sent, the
   * InvalidPublishError reaches the caller.
   */
  async send(
    queue: string,
    delivery: Delivery,
    warrenHeaders: Record<string, unknown>,
    publish: CopyPublishOptions,
    keepDeadline: boolean,
  ): Promise<void> {
    const republisher = this.#d.republisher;
    try {
      await republisher.send(queue, delivery.body, { ...copyOptions(delivery.message, warrenHeaders, keepDeadline), ...publish, ...COPY });
    } catch (error) {
      if (!(error instanceof InvalidPublishError)) throw error;
      this.#d.log.warn(
        { messageId: delivery.messageId, err: error.message },
        'a copy of this message cannot be sent with all its headers; sending it without those that cannot be',
      );
      await republisher.send(queue, delivery.body, {
        ...copyOptions(delivery.message, warrenHeaders, keepDeadline, true),
        ...publish,
        ...COPY,
      });
    }
  }

  /** Declares the delay queue of `delayMs` (a ladder step a RetryLater needs) the first time it is used. */
  async ensureRetryQueue(delayMs: number): Promise<void> {
    if (this.#declaredDelays.has(delayMs)) return;
    const { channel, options } = this.#d;
    await withSideChannel(channel.connection, (ch) => assertRetryQueue(ch, options, delayMs, channel.auxiliary));
    this.#declaredDelays.add(delayMs);
  }

  /** Declares the whole topology again (someone deleted a retry queue or the DLQ); logs, never throws. */
  async redeclareTopology(): Promise<void> {
    try {
      // A queue deleted on purpose (moving a classic one to quorum) comes back as the consumer declares it.
      const { channel, options } = this.#d;
      channel.auxiliary.forget();
      await withSideChannel(channel.connection, (ch) => declareConsumerTopology(ch, options, this.#declaredDelays, channel.auxiliary));
      this.#d.log.info('declared the topology again: a retry or dead-letter queue was missing');
    } catch (error) {
      this.#d.log.warn({ err: describeFailure(error).message }, 'could not declare the topology again');
    }
  }
}
