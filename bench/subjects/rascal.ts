import { setTimeout as sleep } from 'node:timers/promises';
import rascal, { type BrokerAsPromised as Broker } from 'rascal';
import { CONTENT_TYPE } from '../lib/messages.js';
import { type Consuming, Outstanding, type Subject } from './Subject.js';

// Rascal is CommonJS without ESM named exports: take them from its default export.
const { BrokerAsPromised, withDefaultConfig } = rascal;

/** Rascal as its README sets it up: a vhost config with a checked queue, a subscription and a confirmed publication, over its default config. */
async function broker(url: string, queue: string, prefetch: number): Promise<Broker> {
  const config = withDefaultConfig({
    vhosts: {
      '/': {
        connection: { url },
        // The queue exists (the harness declared it): check it, do not assert it with rascal's own arguments.
        queues: { [queue]: { assert: false, check: true } },
        subscriptions: { bench: { queue, prefetch } },
        publications: { bench: { queue, confirm: true, options: { persistent: true, contentType: CONTENT_TYPE } } },
      },
    },
  });
  const b = await BrokerAsPromised.create(config);
  b.on('error', (error: unknown) => process.stderr.write(`rascal: ${String(error)}\n`));
  return b;
}

export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const b = await broker(spec.url, spec.queue, spec.prefetch);
    const running = new Outstanding();
    const sub = await b.subscribe('bench');
    // Rascal decodes `application/json` content itself.
    sub.on('message', (_message: unknown, content: unknown, ackOrNack: () => void) => {
      onMessage(content);
      if (spec.handlerMs === 0) {
        ackOrNack();
        return;
      }
      running.enter();
      sleep(spec.handlerMs).then(() => {
        ackOrNack();
        running.leave();
      });
    });
    sub.on('error', (error: unknown) => process.stderr.write(`rascal subscription: ${String(error)}\n`));
    return {
      async stop() {
        await sub.cancel();
        await running.idle();
        await b.shutdown();
      },
    };
  },

  async publisher(spec) {
    const b = await broker(spec.url, spec.queue, 1);
    return {
      send(body, done) {
        b.publish('bench', body).then((publication) => {
          publication.on('success', () => done());
          publication.on('error', done);
        }, done);
      },
      close: () => b.shutdown(),
    };
  },
};
