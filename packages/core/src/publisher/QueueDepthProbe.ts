import type * as amqp from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { DepthAnswer } from './QueueDepthLimits.js';

/** A passive declare that takes longer is given up, with its channel (a blocked connection never answers). */
const ANSWER_WITHIN_MS = 5000;

/**
 * Asks the broker how many ready messages a queue has: a passive queue.declare, whose declare-ok
 * carries message-count, the messages ready for delivery (unacked ones are not in it; RabbitMQ's
 * x-max-length counts the same ready messages: https://www.rabbitmq.com/docs/maxlength).
 *
 * On one channel of the publisher's connection, kept open between asks and apart from the confirm
 * channel: a passive declare of a missing queue closes its channel (404), which must never take
 * unconfirmed publishes with it. That 404 means "no such queue" (nothing ready), and the next ask
 * opens a new channel.
 */
export class QueueDepthProbe {
  readonly #conn: ConnectionManager;
  readonly #answerWithinMs: number;
  #channel: Promise<amqp.Channel> | undefined;
  #closed = false;

  constructor(conn: ConnectionManager, answerWithinMs = ANSWER_WITHIN_MS) {
    this.#conn = conn;
    this.#answerWithinMs = answerWithinMs;
  }

  /** Ready messages in `queue`, or 'absent'; rejects when the broker cannot tell in time. */
  async readyMessages(queue: string): Promise<DepthAnswer> {
    if (this.#closed) throw new Error('the depth probe is closed');
    const opening = this.#open();
    const channel = await opening;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to a passive declare of "${queue}" within ${this.#answerWithinMs} ms`)),
          this.#answerWithinMs,
        );
      });
      const ok = await Promise.race([channel.checkQueue(queue), timedOut]);
      return ok.messageCount;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return 'absent';
      // Unusable (closing, or an ask outstanding that never ends): the next ask opens another.
      this.#drop(opening);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#channel !== undefined) this.#drop(this.#channel);
  }

  #open(): Promise<amqp.Channel> {
    if (this.#channel !== undefined) return this.#channel;
    const opening = this.#conn.createChannel().then((channel) => {
      channel.on('error', () => undefined); // a 404 is an answer here; 'close' follows every error
      channel.on('close', () => {
        if (this.#channel === opening) this.#channel = undefined;
      });
      return channel;
    });
    opening.catch(() => {
      if (this.#channel === opening) this.#channel = undefined;
    });
    this.#channel = opening;
    return opening;
  }

  #drop(opening: Promise<amqp.Channel>): void {
    if (this.#channel === opening) this.#channel = undefined;
    opening.then((channel) => channel.close()).catch(() => undefined);
  }
}
