import { randomUUID } from 'node:crypto';
import { createPublisher } from '@warren/core';
import * as amqp from 'amqplib';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { publishWindowed } from '../lib/rawPublish.js';
import { alternate, median } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';

const MESSAGES = 20_000;
const SERIAL_MESSAGES = 1_000;
const WINDOW = 1000;
const BODY = Buffer.alloc(1024, 0x61);

/** The properties Warren sets on every message, so raw amqplib does the same work. */
function props(): amqp.Options.Publish {
  return { persistent: true, messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) };
}

/** Raw amqplib, done well: a confirm channel, at most `window` unconfirmed, and 'drain' honoured. */
async function rawWindow(url: string, queue: string, n: number, window: number): Promise<number> {
  const conn = await amqp.connect(url, { noDelay: true });
  try {
    const ch = await conn.createConfirmChannel();
    const started = performance.now();
    await publishWindowed(ch, queue, n, window, () => ({ body: BODY, props: props() }));
    return n / ((performance.now() - started) / 1000);
  } finally {
    await conn.close();
  }
}

/** Raw amqplib, done naively: await each confirm before the next publish. */
async function rawSerial(url: string, queue: string, n: number): Promise<number> {
  const conn = await amqp.connect(url, { noDelay: true });
  try {
    const ch = await conn.createConfirmChannel();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) =>
        ch.sendToQueue(queue, BODY, props(), (err: unknown) => (err === null ? resolve() : reject(err))),
      );
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    await conn.close();
  }
}

/** Warren as an app would use it: publish them all, await them all. */
async function warren(url: string, queue: string, n: number, window: number): Promise<number> {
  const publisher = await createPublisher({ urls: url, appName: 'bench', maxInFlight: window, maxBufferedMessages: n });
  try {
    const started = performance.now();
    const all: Array<Promise<void>> = new Array(n);
    for (let i = 0; i < n; i++) all[i] = publisher.send(queue, BODY);
    await Promise.all(all);
    return n / ((performance.now() - started) / 1000);
  } finally {
    await publisher.close();
  }
}

export const publishThroughput: Scenario = {
  name: 'publish-throughput',
  description: `confirmed publishes of 1 KiB persistent messages to a durable queue (${MESSAGES} per run, window ${WINDOW})`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const queue = benchQueueName('throughput');
    return withQueue(ctx.url, queue, async (admin) => {
      const timed = (label: string, fn: () => Promise<number>) => async (): Promise<number> => {
        await admin.purgeQueue(queue);
        const v = await fn();
        ctx.note(`  ${label}: ${Math.round(v)} msg/s`);
        return v;
      };
      const r = await alternate(ctx.rounds, {
        raw: timed('raw window', () => rawWindow(ctx.url, queue, MESSAGES, WINDOW)),
        warren: timed('warren', () => warren(ctx.url, queue, MESSAGES, WINDOW)),
        serial: timed('raw await-each', () => rawSerial(ctx.url, queue, SERIAL_MESSAGES)),
      });
      const raw = median(r.raw);
      const w = median(r.warren);
      const serial = median(r.serial);
      return [
        {
          scenario: 'publish-throughput',
          subject: `raw amqplib confirm channel, window ${WINDOW}`,
          value: raw,
          unit: 'msg/s',
          ratioToRaw: 1,
        },
        { scenario: 'publish-throughput', subject: `warren maxInFlight ${WINDOW}`, value: w, unit: 'msg/s', ratioToRaw: w / raw },
        {
          scenario: 'publish-throughput-vs-await-each',
          subject: 'raw amqplib, await each confirm',
          value: serial,
          unit: 'msg/s',
          ratioToRaw: 1,
        },
        {
          scenario: 'publish-throughput-vs-await-each',
          subject: `warren maxInFlight ${WINDOW}`,
          value: w,
          unit: 'msg/s',
          ratioToRaw: w / serial,
        },
      ];
    });
  },
};
