import type { Channel } from 'amqplib';
import { TopologyError } from '../errors/WarrenError.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { type AuxiliaryQueues, deadLetterQueueArguments, type QueueType, retryQueueArguments } from './auxiliaryQueues.js';
import { deadLetterQueueName, retryQueueName } from './names.js';

export { deadLetterQueueArguments, retryQueueArguments } from './auxiliaryQueues.js';

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
  if (options.singleActiveConsumer) args['x-single-active-consumer'] = true;
  return args;
}

/**
 * Declares, in dependency order, everything a consumer needs: its exchange, its DLQ (before the
 * queue that dead-letters into it), its work queue, a delay queue per distinct retry delay, and
 * its bindings. Idempotent. With `declare: false` it only checks that the queue exists.
 * A channel error here closes `channel`; the caller opens a fresh one to go on. A quorum
 * consumer's DLQ and delay queues are quorum, unless `auxiliary` finds them classic already.
 */
export async function declareConsumerTopology(
  channel: Channel,
  options: ResolvedConsumerOptions,
  extraDelaysMs: Iterable<number> = [],
  auxiliary?: AuxiliaryQueues,
): Promise<void> {
  const typeOf = (name: string): QueueType => auxiliary?.typeOf(name) ?? options.queueType;
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
    const dlq = deadLetterQueueName(q);
    await step(`declare dead-letter queue "${dlq}"`, async () => {
      await auxiliary?.find(dlq, deadLetterQueueArguments);
      return channel.assertQueue(dlq, { durable: true, arguments: deadLetterQueueArguments(typeOf(dlq)) });
    });
  }
  await step(`declare queue "${q}"`, () => channel.assertQueue(q, { durable: options.durable, arguments: workQueueArguments(options) }));
  for (const delay of new Set([...options.retry.delaysMs, ...extraDelaysMs])) {
    await step(`declare retry queue "${retryQueueName(q, delay)}"`, () => assertRetryQueue(channel, options, delay, auxiliary));
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
export async function assertRetryQueue(
  channel: Channel,
  options: ResolvedConsumerOptions,
  delayMs: number,
  auxiliary?: AuxiliaryQueues,
): Promise<unknown> {
  const name = retryQueueName(options.queue, delayMs);
  await auxiliary?.find(name, (type) => retryQueueArguments(options.queue, delayMs, type));
  const type = auxiliary?.typeOf(name) ?? options.queueType;
  return channel.assertQueue(name, { durable: true, arguments: retryQueueArguments(options.queue, delayMs, type) });
}
