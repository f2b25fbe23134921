import type { Channel, Message } from 'amqplib';
import type { ReceivedMessage } from '../message/MessageContext.js';

/**
 * Settles a consumer channel's deliveries: acks and nacks, in the order they are decided, and the
 * bookkeeping of which tags are still unsettled. flush() can write several acks at once, those
 * below the lowest unsettled tag as one basic.ack with `multiple` (it settles every unacked tag up
 * to its own: AMQP 0-9-1, basic.ack; https://www.rabbitmq.com/docs/confirms#consumer-acks-multiple-parameter).
 *
 * Each ack is written at once. Deferring the acks of one event-loop turn to its end (a microtask)
 * and writing them together cut a consumer's CPU per message by about a quarter in the benchmark,
 * but a process killed outright in the middle of a turn then loses that turn's acks: its handled
 * neighbours come back as redeliveries, and the isolation of a message that kills the worker
 * counts them as suspects. Batching stays off until that is solved (see docs/lifecycle.md).
 */
export class ChannelAcks {
  /** Delivery tags of the current channel not settled yet, ascending (tags grow, a Set keeps insertion order). */
  #unsettled = new Set<number>();
  /** Acks decided and not written yet. */
  #acks: ReceivedMessage[] = [];

  /** `channel()`: the channel acks are written to when they are flushed; undefined once it is let go. */
  constructor(private readonly channel: () => Channel | undefined) {}

  /** A delivery arrived on the current channel. */
  delivered(tag: number): void {
    this.#unsettled.add(tag);
  }

  /** The current channel is gone or replaced: its tags mean nothing on the next one. */
  forget(): void {
    this.#unsettled = new Set();
  }

  ack(message: ReceivedMessage): void {
    this.#unsettled.delete(message.fields.deliveryTag);
    this.#acks.push(message);
    this.flush();
  }

  /** nack with or without requeue, now; false if the channel refused it (closing). */
  nack(channel: Channel, message: ReceivedMessage, requeue: boolean): boolean {
    // The acks decided before this nack go first, as they were decided; while this tag is still
    // unsettled, so that no `multiple` ack among them covers it (it would ack what is meant to go
    // back, and the nack would then name an unknown tag: a 406 that closes the channel).
    this.flush();
    this.#unsettled.delete(message.fields.deliveryTag);
    try {
      channel.nack(message as unknown as Message, false, requeue);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes the acks decided so far. A channel that died meanwhile takes its unacked messages back (its close requeues them). */
  readonly flush = (): void => {
    const acks = this.#acks;
    if (acks.length === 0) return;
    this.#acks = [];
    const channel = this.channel();
    if (channel === undefined) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const tag of this.#unsettled) {
      lowest = tag;
      break;
    }
    let last: ReceivedMessage | undefined;
    let below = 0;
    try {
      for (const m of acks) {
        const tag = m.fields.deliveryTag;
        if (tag > lowest) channel.ack(m as unknown as Message);
        else {
          below++;
          if (last === undefined || tag > last.fields.deliveryTag) last = m;
        }
      }
      if (last !== undefined) channel.ack(last as unknown as Message, below > 1);
    } catch {
      // The channel is closing: the broker requeues what it did not get acked.
    }
  };
}
