import type { Channel } from 'amqplib';
import { TopologyError } from '../errors/WarrenError.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { deadLetterQueueName, retryQueueName } from './names.js';

/** The queue arguments Warren gives a consumer's work queue. */
export function workQueueArguments(options: ResolvedConsumerOptions): Record<string, unknown> {
  const args: Record<string, unknown> = { ...options.arguments };
  if (options.deadLetter) {
    // The default exchange always exists: a dead-letter exchange that does not exist drops messages silently.
    args['x-dead-letter-exchange'] = '';
    args['x-dead-letter-routing-key'] = deadLetterQueueName(options.queue);
  }
  if (options.queueType === 'quorum') {
    args['x-queue-type'] = 'quorum';
    // Quorum queues count deliveries themselves and dead-letter past the limit (3.10 has no default).
    if (!('x-delivery-limit' in args)) args['x-delivery-limit'] = options.redeliveryLimit;
  }
  return args;
}

/**
 * Declares, in dependency order, everything a consumer needs: its exchange, its DLQ (before the
 * queue that dead-letters into it), its work queue, a delay queue per distinct retry delay, and
 * its bindings. Idempotent. With `declare: false` it only checks that the queue exists.
 * A channel error here closes `channel`; the caller opens a fresh one to go on.
 */
export async function declareConsumerTopology(
  channel: Channel,
  options: ResolvedConsumerOptions,
  extraDelaysMs: Iterable<number> = [],
): Promise<void> {
  const q = options.queue;
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      throw new TopologyError(`consumer ${options.name}: cannot ${what}: ${(error as Error).message}`, { cause: error });
    }
  };
  if (!options.declare) {
    await step(`find queue "${q}" (declare: false)`, () => channel.checkQueue(q));
    return;
  }
  if (options.exchange !== undefined) {
    const ex = options.exchange;
    await step(`declare exchange "${ex.name}"`, () => channel.assertExchange(ex.name, ex.type, { durable: ex.durable }));
  }
  if (options.deadLetter) {
    await step(`declare dead-letter queue "${deadLetterQueueName(q)}"`, () =>
      channel.assertQueue(deadLetterQueueName(q), { durable: true }),
    );
  }
  await step(`declare queue "${q}"`, () => channel.assertQueue(q, { durable: options.durable, arguments: workQueueArguments(options) }));
  for (const delay of new Set([...options.retry.delaysMs, ...extraDelaysMs])) {
    await step(`declare retry queue "${retryQueueName(q, delay)}"`, () => assertRetryQueue(channel, q, delay));
  }
  if (options.exchange !== undefined) {
    for (const key of options.routingKeys) {
      await step(`bind "${q}" to "${options.exchange.name}" with "${key}"`, () =>
        channel.bindQueue(q, (options.exchange as { name: string }).name, key),
      );
    }
  }
}

/** A delay queue: no consumer; messages expire after `delayMs` and dead-letter back to the work queue. */
export function assertRetryQueue(channel: Channel, queue: string, delayMs: number): Promise<unknown> {
  return channel.assertQueue(retryQueueName(queue, delayMs), {
    durable: true,
    arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  });
}
