import type { Channel } from 'amqplib';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';

export type QueueType = 'classic' | 'quorum';

/** The arguments of a delay queue: its messages expire after `delayMs` and dead-letter back to `queue`. */
export function retryQueueArguments(queue: string, delayMs: number, type: QueueType = 'classic'): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue };
  if (type === 'quorum') {
    args['x-queue-type'] = 'quorum';
    // Expiry is the way back to the work queue. RabbitMQ's default for quorum queues is
    // at-most-once: an expired message whose target has no leader at that moment is dropped.
    // At-least-once keeps it until the work queue confirms it, and needs reject-publish.
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  }
  return args;
}

/** The arguments of a consumer's `<queue>.dlq`. */
export function deadLetterQueueArguments(type: QueueType = 'classic'): Record<string, unknown> {
  return type === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}

/** What declaring a consumer's own queues needs besides its channel: side channels, and a voice. */
export interface AuxiliaryQueueHost {
  createChannel(): Promise<Channel>;
  /** A retry queue or DLQ kept classic for a quorum consumer: said once per queue. */
  keptClassic(queue: string): void;
}

/**
 * The types of a consumer's own retry queues and DLQ. A quorum consumer's are quorum (a classic
 * one lives on one node: while it is down, retrying messages are stranded). One an earlier Warren
 * made classic cannot be declared quorum (406 inequivalent arg 'x-queue-type') and must not be
 * deleted (it may hold messages): it is kept, and said once, so the app goes on and an operator
 * can move it (delete it once empty; the next declare makes it quorum). Found on a side channel
 * (a refusal closes the channel it happens on), once per queue; a classic consumer's queues are
 * declared as they always were, without looking.
 */
export class AuxiliaryQueues {
  readonly #types = new Map<string, QueueType>();

  constructor(
    readonly options: ResolvedConsumerOptions,
    readonly host: AuxiliaryQueueHost,
  ) {}

  /** The type a queue of this consumer is declared with: found, or the consumer's own. */
  typeOf(queue: string): QueueType {
    return this.#types.get(queue) ?? this.options.queueType;
  }

  /** Forgets what was found: after a queue went missing, the next declare makes it as the consumer wants. */
  forget(): void {
    this.#types.clear();
  }

  /** Finds the type of `queue` (DLQ or delay queue) unless known: quorum if it can be, else classic if it is. */
  async find(queue: string, argumentsFor: (type: QueueType) => Record<string, unknown>): Promise<void> {
    if (this.options.queueType === 'classic' || this.#types.has(queue)) return;
    try {
      await this.#declare(queue, argumentsFor('quorum'));
      this.#types.set(queue, 'quorum');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 406) throw error;
      // Not quorum: the legacy classic declare is accepted only if that is what the queue is.
      await this.#declare(queue, argumentsFor('classic')).catch(() => {
        throw error;
      });
      this.#types.set(queue, 'classic');
      this.host.keptClassic(queue);
    }
  }

  async #declare(queue: string, args: Record<string, unknown>): Promise<void> {
    const channel = await this.host.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.assertQueue(queue, { durable: true, arguments: args });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
