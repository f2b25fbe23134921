import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as amqp from 'amqplib';
import { CONTENT_TYPE } from '../lib/messages.js';
import { type Consuming, Outstanding, type Subject } from './Subject.js';
import { payloadSchema } from './schema.js';

/** Raw amqplib done well: prefetch and an ack per message; a confirm channel that honours `drain`. Nagle as `variant.noDelay` says (amqplib's default: on). */
export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const conn = await amqp.connect(spec.url, { noDelay: spec.variant.noDelay === true });
    const ch = await conn.createChannel();
    await ch.prefetch(spec.prefetch);
    const running = new Outstanding();
    const decode = (msg: amqp.ConsumeMessage): unknown => {
      const payload: unknown = JSON.parse(msg.content.toString('utf8'));
      return spec.variant.schema ? payloadSchema.parse(payload) : payload;
    };
    const slow = async (msg: amqp.ConsumeMessage): Promise<void> => {
      running.enter();
      try {
        onMessage(decode(msg));
        await sleep(spec.handlerMs);
        ch.ack(msg);
      } finally {
        running.leave();
      }
    };
    const { consumerTag } = await ch.consume(spec.queue, (msg) => {
      if (msg === null) return;
      if (spec.handlerMs > 0) {
        void slow(msg);
        return;
      }
      onMessage(decode(msg));
      ch.ack(msg);
    });
    return {
      async stop() {
        // cancel-ok comes after every delivery the broker sent, so nothing arrives after it.
        await ch.cancel(consumerTag);
        await running.idle();
        // Close the channel first: its close-ok follows the acks it wrote, which a connection close can overtake.
        await ch.close();
        await conn.close();
      },
    };
  },

  async publisher(spec) {
    const conn = await amqp.connect(spec.url, { noDelay: spec.variant.noDelay === true });
    const ch = await conn.createConfirmChannel();
    // publish() === false: wait for 'drain' before writing more (what amqplib's docs ask of a well-behaved publisher).
    const waiting: Array<[Buffer, (error?: unknown) => void]> = [];
    let paused = false;
    const write = (body: Buffer, done: (error?: unknown) => void): void => {
      const props = { persistent: true, contentType: CONTENT_TYPE, messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) };
      const ok = ch.sendToQueue(spec.queue, body, props, (err: unknown) => done(err === null ? undefined : err));
      if (!ok) {
        paused = true;
        ch.once('drain', () => {
          paused = false;
          while (!paused && waiting.length > 0) write(...(waiting.shift() as [Buffer, (error?: unknown) => void]));
        });
      }
    };
    const send = (body: Buffer, done: (error?: unknown) => void): void => {
      if (paused) waiting.push([body, done]);
      else write(body, done);
    };
    if (spec.variant.promise !== true) return { send, close: () => conn.close() };
    return {
      // As Warren's subject calls publisher.send(): a promise per message, then done.
      send(body, done) {
        new Promise<void>((resolve, reject) => send(body, (error) => (error === undefined ? resolve() : reject(error)))).then(
          () => done(),
          done,
        );
      },
      close: () => conn.close(),
    };
  },
};
