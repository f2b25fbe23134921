import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AMQPClient, type AMQPMessage } from '@cloudamqp/amqp-client';
import { CONTENT_TYPE } from '../lib/messages.js';
import { type Consuming, Outstanding, type Subject } from './Subject.js';

/** @cloudamqp/amqp-client's low-level API (the fast path its README shows): basicQos, basicConsume with manual acks, confirmSelect. */
export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const conn = await new AMQPClient(spec.url).connect();
    const ch = await conn.channel();
    await ch.basicQos(spec.prefetch);
    const running = new Outstanding();
    const slow = async (msg: AMQPMessage): Promise<void> => {
      running.enter();
      try {
        onMessage(JSON.parse(msg.bodyToString() ?? ''));
        await sleep(spec.handlerMs);
        await msg.ack();
      } finally {
        running.leave();
      }
    };
    const consumer = await ch.basicConsume(spec.queue, { noAck: false }, (msg) => {
      if (spec.handlerMs > 0) {
        void slow(msg);
        return;
      }
      onMessage(JSON.parse(msg.bodyToString() ?? ''));
      void msg.ack();
    });
    return {
      async stop() {
        await consumer.cancel();
        await running.idle();
        await conn.close();
      },
    };
  },

  async publisher(spec) {
    const conn = await new AMQPClient(spec.url).connect();
    const ch = await conn.channel();
    await ch.confirmSelect();
    return {
      send(body, done) {
        // In confirm mode basicPublish resolves on the broker's ack.
        const props = { deliveryMode: 2, contentType: CONTENT_TYPE, messageId: randomUUID(), timestamp: new Date() };
        ch.basicPublish('', spec.queue, body, props).then(() => done(), done);
      },
      close: () => conn.close(),
    };
  },
};
