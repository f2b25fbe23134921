import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmqpConnection, RabbitMQModule, RabbitSubscribe } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CONTENT_TYPE } from '../lib/messages.js';
import { type Consuming, Outstanding, type Subject } from './Subject.js';

/**
 * @golevelup/nestjs-rabbitmq as its docs set it up: RabbitMQModule.forRoot in a Nest application
 * context, a provider with a @RabbitSubscribe handler (returns: ack; its JSON deserializer), and
 * AmqpConnection.publish (amqp-connection-manager underneath: confirmed).
 */
async function nestApp(url: string, prefetch: number, providers: Array<new () => unknown>) {
  class BenchModule {}
  Module({
    imports: [RabbitMQModule.forRoot({ uri: url, prefetchCount: prefetch, connectionInitOptions: { wait: true } })],
    providers,
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return app;
}

export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const ms = spec.handlerMs;
    const running = new Outstanding();
    class BenchHandler {
      async handle(payload: unknown): Promise<void> {
        running.enter();
        try {
          onMessage(payload);
          if (ms > 0) await sleep(ms);
        } finally {
          running.leave();
        }
      }
    }
    const method = Object.getOwnPropertyDescriptor(BenchHandler.prototype, 'handle') as PropertyDescriptor;
    // The queue exists (the harness declared it plain): do not assert it with the library's defaults.
    RabbitSubscribe({ queue: spec.queue, createQueueIfNotExists: false })(BenchHandler.prototype, 'handle', method);
    Injectable()(BenchHandler);
    const app = await nestApp(spec.url, spec.prefetch, [BenchHandler]);
    return {
      async stop() {
        // close() cancels the consumers and waits for the handlers it saw start, but one that ends
        // after it closed the channel acks on it, and its error path's nack then throws
        // IllegalOperationError out of the process. So: cancel, let every handler end and its ack
        // go out (a turn of the event loop), then close.
        const amqp = app.get(AmqpConnection);
        for (const tag of amqp.consumerTags) await amqp.cancelConsumer(tag);
        await running.idle();
        await new Promise((resolve) => setImmediate(resolve));
        await app.close();
      },
    };
  },

  async publisher(spec) {
    const app = await nestApp(spec.url, 10, []);
    const amqp = app.get(AmqpConnection);
    return {
      send(body, done) {
        const props = { persistent: true, contentType: CONTENT_TYPE, messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) };
        amqp.publish('', spec.queue, body, props).then(() => done(), done);
      },
      close: () => app.close(),
    };
  },
};
