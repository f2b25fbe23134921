import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Consumer,
  type ConsumerOptions,
  createPublisher,
  defineApp,
  type PublishOptions,
  silentLogger,
  WarrenApp,
  Worker,
} from '@warren/core';
import { CONTENT_TYPE } from '../lib/messages.js';
import type { Consuming, Subject } from './Subject.js';
import { payloadSchema } from './schema.js';

const PUBLISH_OPTIONS: PublishOptions = { contentType: CONTENT_TYPE };

/** Warren as an app runs it: a @Consumer class in an app (its defaults otherwise), and createPublisher. */
export const subject: Subject = {
  async consume(spec, onMessage): Promise<Consuming> {
    const ms = spec.handlerMs;
    class BenchWorker extends Worker {
      async handle(payload: unknown): Promise<void> {
        onMessage(payload);
        if (ms > 0) await sleep(ms);
      }
    }
    const v = spec.variant;
    const options: ConsumerOptions = {
      queue: spec.queue,
      prefetch: spec.prefetch,
      // The queue is the plain durable one every subject reads: no dead-letter arguments on it.
      deadLetter: false,
      ...(v.timeoutMs === undefined ? {} : { timeoutMs: v.timeoutMs }),
      ...(v.concurrency === undefined ? {} : { concurrency: v.concurrency }),
      ...(v.schema ? { schema: payloadSchema } : {}),
    };
    Consumer(options)(BenchWorker);
    const app = await WarrenApp.create(defineApp({ name: 'bench', consumers: [BenchWorker] }), {
      urls: spec.url,
      logger: silentLogger(),
      metrics: v.metrics === true,
    });
    await app.start();
    return {
      async stop() {
        await app.stop(10_000);
        const left = app.consumers[0]?.stats().leftUnsettledAtStop ?? 0;
        if (left > 0) throw new Error(`warren left ${left} deliveries unsettled at stop`);
      },
    };
  },

  async publisher(spec) {
    const publisher = await createPublisher({ urls: spec.url, appName: 'bench', logger: silentLogger(), maxInFlight: spec.window });
    return {
      send(body, done) {
        publisher.send(spec.queue, body, PUBLISH_OPTIONS).then(() => done(), done);
      },
      close: () => publisher.close(),
    };
  },
};
