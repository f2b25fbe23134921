import type { Channel, Message } from 'amqplib';
import type { ReceivedMessage } from '../message/MessageContext.js';

/**
 * Settles a consumer channel's deliveries with as few frames as is safe. Acks decided in one turn
 * of the event loop are written together at its end (a microtask): every ack frame was a socket
 * write of its own, the largest single cost of a consumed message in a CPU profile (`npm run
 * bench -- --profile`). Those below the lowest tag still unsettled go as one basic.ack with
 * `multiple` (it settles every unacked tag up to its own: AMQP 0-9-1, basic.ack;
 * https://www.rabbitmq.com/docs/confirms#consumer-acks-multiple-parameter), which acks nothing
 * still in flight, since nothing below that tag is; the others go one by one. A nack first writes
 * the acks decided before it, while its own tag still counts as unsettled, so no `multiple` ack
 * covers it.
 *
 * While other deliveries are still running, the acks wait instead for the end of the event-loop
 * iteration (setImmediate): handlers that end in separate callbacks of one iteration (timers of
 * one phase, the I/O of one poll) are separate turns, and each would write its own ack. With a
 * 2 ms handler at prefetch 100 that was one 21-byte socket write per message, as raw amqplib's ack
 * per message is; waiting, one `multiple` ack covers about 33 messages (0.03 writes per message),
 * and the consumer's CPU per message fell from 32–37 µs to 22–24 (4 s runs of a scratch harness).
 *
 * Deferring to the end of the turn widens no loss window: amqplib itself puts frames on the
 * socket only in a later setImmediate (its Mux), after every microtask. Waiting for the end of the
 * iteration moves the write by one iteration. A process killed before it loses those acks; the
 * broker redelivers them, at most the prefetch window (test/faults/killAckCost.test.ts measures it
 * against raw amqplib acking each message).
 */
export class ChannelAcks {
  /** Delivery tags of the current channel not settled yet, ascending (tags grow, a Set keeps insertion order). */
  #unsettled = new Set<number>();
  /** Acks decided and not written yet (this turn, or this event-loop iteration while others run). */
  #acks: ReceivedMessage[] = [];
  #flushQueued = false;

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
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#endOfTurn);
    }
  }

  /**
   * The turn's microtasks are done. Nothing left unsettled: write now. Deliveries still running
   * may end in other callbacks of this event-loop iteration (timers of one phase, the I/O of one
   * poll), each a turn of its own: their acks join these at its end (setImmediate).
   */
  readonly #endOfTurn = (): void => {
    if (this.#unsettled.size > 0) setImmediate(this.flush);
    else this.flush();
  };

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
    this.#flushQueued = false;
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
