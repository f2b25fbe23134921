import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import { CONTENT_TYPE } from '../lib/messages.js';
import { type Consuming, Outstanding, type Subject } from './Subject.js';

/** amqp-connection-manager as its README uses it: a managed connection, a channel wrapper (confirms on by default), consume with prefetch. */
export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const conn = amqp.connect([spec.url]);
    const wrapper = conn.createChannel({ json: false });
    await wrapper.waitForConnect();
    const running = new Outstanding();
    const slow = async (msg: ConsumeMessage): Promise<void> => {
      running.enter();
      try {
        onMessage(JSON.parse(msg.content.toString('utf8')));
        await sleep(spec.handlerMs);
        wrapper.ack(msg);
      } finally {
        running.leave();
      }
    };
    await wrapper.consume(
      spec.queue,
      (msg) => {
        if (spec.handlerMs > 0) {
          void slow(msg);
          return;
        }
        onMessage(JSON.parse(msg.content.toString('utf8')));
        wrapper.ack(msg);
      },
      { prefetch: spec.prefetch },
    );
    return {
      async stop() {
        await wrapper.cancelAll();
        await running.idle();
        await wrapper.close();
        await conn.close();
      },
    };
  },

  async publisher(spec) {
    const conn = amqp.connect([spec.url]);
    const wrapper = conn.createChannel({ json: false });
    await wrapper.waitForConnect();
    return {
      send(body, done) {
        const props = { persistent: true, contentType: CONTENT_TYPE, messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) };
        wrapper.sendToQueue(spec.queue, body, props).then(() => done(), done);
      },
      async close() {
        await wrapper.close();
        await conn.close();
      },
    };
  },
};
