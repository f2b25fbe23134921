// @warren-test serial: sets a memory alarm and stops the broker app
import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startOperationsServer } from '@warren/cli';
import { type AppRunOptions, Consumer, type MessageContext, Reject, type WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, rabbitmqctl, Tally, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { startTestApp } from '../support/app.js';

const PREFETCH = 5;

/** One sample of Prometheus' text format: `name{labels} value`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const own = open < 0 || open > name.length ? '' : line.slice(open + 1, line.indexOf('}'));
    if (want.every((pair) => own.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics on the operations port', () => {
  let admin: BrokerAdmin;
  const queues: string[] = [];
  const track = (queue: string): void => {
    queues.push(queue);
  };
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    // A fresh connection: stop_app closed every connection the test had.
    const cleaner = await BrokerAdmin.open();
    cleaner.trackQueue(...queues);
    await cleaner.cleanup();
    await admin.cleanup().catch(() => undefined);
  });

  async function serve(app: WarrenApp): Promise<{ server: Server; scrape: () => Promise<string>; get: (path: string) => Promise<number> }> {
    const server = await startOperationsServer(app, { port: 0 });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      server,
      scrape: async () => {
        const r = await fetch(`${base}/metrics`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        return r.text();
      },
      get: async (path) => (await fetch(`${base}${path}`)).status,
    };
  }

  it('in flight equals prefetch while handlers are held; outcome counters equal the tallies', async () => {
    const queue = uniqueName('metrics.outcomes');
    track(queue);
    const consumer = 'MetricsWorker';
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started = new Tally();
    const acked = new Tally();
    const failedOnce = new Tally();
    const rejected = new Tally();
    // id % 3: 0 rejected (dead-lettered now), 1 fails its first attempt (retried, then acked), 2 acked.
    @Consumer({ queue, name: consumer, prefetch: PREFETCH, retry: { attempts: 2, delayMs: [50] } })
    class MetricsWorker extends Worker<{ n: number }> {
      async handle(msg: { n: number }, ctx: MessageContext): Promise<void> {
        started.add(String(msg.n));
        await held;
        if (msg.n % 3 === 0) {
          rejected.add(String(msg.n));
          throw new Reject('not wanted');
        }
        if (msg.n % 3 === 1 && ctx.attempt === 1) {
          failedOnce.add(String(msg.n));
          throw new Error('first attempt fails');
        }
        acked.add(String(msg.n));
      }
    }
    const app = await startTestApp({ name: queue, consumers: [MetricsWorker] }, { metrics: true });
    const { server, scrape } = await serve(app);
    try {
      const total = 30;
      await admin.sendMany(
        queue,
        Array.from({ length: total }, (_, n) => ({ n })),
      );
      await waitFor(`${PREFETCH} handlers held`, () => started.total === PREFETCH);
      const heldText = await scrape();
      const labels = { consumer, queue };
      assert.equal(sample(heldText, 'warren_consumer_in_flight', labels), PREFETCH, 'in flight = prefetch while held');
      assert.equal(sample(heldText, 'warren_consumer_prefetch', labels), PREFETCH);
      assert.equal(sample(heldText, 'warren_queue_ready_messages', { queue }), total - PREFETCH, 'the rest waits in the queue');
      assert.equal(sample(heldText, 'warren_consumer_messages_total', { ...labels, outcome: 'acked' }), 0);

      release();
      await waitFor('every message settled for good', () => acked.total + rejected.total === total);
      await waitFor('the last settle counted', () => (app.consumers[0]?.stats().inFlight ?? 1) === 0);
      const text = await scrape();
      const ackedCount = sample(text, 'warren_consumer_messages_total', { ...labels, outcome: 'acked' });
      const retried = sample(text, 'warren_consumer_messages_total', { ...labels, outcome: 'retried' });
      const deadLettered = sample(text, 'warren_consumer_messages_total', { ...labels, outcome: 'dead_lettered', reason: 'rejected' });
      const settles = sample(text, 'warren_consumer_handle_duration_seconds_count', labels);
      console.log(
        `[metrics] tallies: acked ${acked.total}, failed once ${failedOnce.total}, rejected ${rejected.total}; ` +
          `metrics: acked ${ackedCount}, retried ${retried}, dead_lettered{rejected} ${deadLettered}, settles ${settles}`,
      );
      assert.deepEqual([acked.duplicates(), failedOnce.duplicates(), rejected.duplicates()], [0, 0, 0]);
      assert.equal(ackedCount, acked.total);
      assert.equal(ackedCount, 20);
      assert.equal(retried, failedOnce.total);
      assert.equal(retried, 10);
      assert.equal(deadLettered, rejected.total);
      assert.equal(deadLettered, 10);
      assert.equal(await admin.depth(`${queue}.dlq`), rejected.total, 'the DLQ holds what the counter says');
      assert.equal(sample(text, 'warren_consumer_messages_total', { ...labels, outcome: 'requeued' }), 0);
      assert.equal(settles, acked.total + failedOnce.total + rejected.total, 'one duration per settle');
      assert.equal(sample(text, 'warren_consumer_in_flight', labels), 0);
      // Retries and dead letters are published by the app's publisher, each confirmed.
      assert.equal(sample(text, 'warren_publisher_confirmed_total'), failedOnce.total + rejected.total);
      assert.equal(sample(text, 'warren_publisher_confirm_duration_seconds_count'), failedOnce.total + rejected.total);
      assert.ok(!/messageId|message_id/.test(text), 'no message ids in labels');
    } finally {
      server.close();
      await app.stop();
    }
  });

  /** An app with metrics and one consumer, `Idle`, that acks whatever comes. */
  async function idleApp(queue: string, options: AppRunOptions = {}): Promise<WarrenApp> {
    track(queue);
    @Consumer({ queue, prefetch: 1 })
    class Idle extends Worker<unknown> {
      async handle(): Promise<void> {}
    }
    return startTestApp({ name: queue, consumers: [Idle] }, { metrics: true, ...options });
  }

  it('blocked is 1 during a memory alarm and 0 after, and the blocked seconds add up', async () => {
    const queue = uniqueName('metrics.blocked');
    const app = await idleApp(queue);
    const { server, scrape } = await serve(app);
    try {
      const before = await scrape();
      assert.equal(sample(before, 'warren_connection_blocked', { connection: 'publish' }), 0);
      const during = await withMemoryAlarm(async () => {
        const blocked = app.events.once('blocked');
        // The broker blocks a connection when it publishes: this one waits for the alarm to end.
        const sent = app.publisher.send(queue, { during: 'alarm' }, { timeoutMs: 60_000 });
        await blocked;
        const text = await scrape();
        return { text, sent };
      });
      await during.sent;
      await waitFor('unblocked', () => !app.connections.publish.isBlocked);
      const after = await scrape();
      const blockedSeconds = sample(after, 'warren_connection_blocked_seconds_total', { connection: 'publish' }) ?? 0;
      console.log(
        `[metrics] blocked during the alarm: ${sample(during.text, 'warren_connection_blocked', { connection: 'publish' })}, after: ${sample(after, 'warren_connection_blocked', { connection: 'publish' })}, ${blockedSeconds.toFixed(3)} s blocked`,
      );
      assert.equal(sample(during.text, 'warren_connection_blocked', { connection: 'publish' }), 1);
      assert.equal(sample(during.text, 'warren_connection_blocked', { connection: 'consume' }), 0, 'acks are never blocked');
      const waiting =
        (sample(during.text, 'warren_publisher_buffered_messages') ?? 0) + (sample(during.text, 'warren_publisher_in_flight') ?? 0);
      assert.equal(waiting, 1, 'the publish waits (written before the block and unconfirmed, or buffered)');
      assert.equal(sample(after, 'warren_connection_blocked', { connection: 'publish' }), 0);
      assert.ok(blockedSeconds > 0, 'blocked seconds counted');
      assert.equal(sample(after, 'warren_publisher_buffered_messages'), 0);
      assert.equal(sample(after, 'warren_publisher_in_flight'), 0);
    } finally {
      server.close();
      await app.stop();
    }
  });

  it('/health/ready turns not ready during stop_app and ready again after recovery', async () => {
    const queue = uniqueName('metrics.ready');
    const app = await idleApp(queue, { reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });
    const { server, scrape, get } = await serve(app);
    let brokerStopped = false;
    try {
      assert.equal(await get('/health/ready'), 200);
      await rabbitmqctl('stop_app');
      brokerStopped = true;
      await waitFor('/health/ready answers 503', async () => (await get('/health/ready')) === 503, 20_000, 100);
      assert.equal(await get('/health/live'), 200, 'alive: it is reconnecting, not down');
      const down = await scrape();
      assert.equal(sample(down, 'warren_connection_up', { connection: 'consume' }), 0);
      await rabbitmqctl('start_app');
      await rabbitmqctl('await_startup');
      brokerStopped = false;
      await waitFor('/health/ready answers 200 again', async () => (await get('/health/ready')) === 200, 30_000, 100);
      const up = await scrape();
      console.log(
        `[metrics] reconnects: consume ${sample(up, 'warren_connection_reconnects_total', { connection: 'consume' })}, publish ${sample(up, 'warren_connection_reconnects_total', { connection: 'publish' })}`,
      );
      assert.equal(sample(up, 'warren_connection_up', { connection: 'consume' }), 1);
      assert.ok((sample(up, 'warren_connection_reconnects_total', { connection: 'consume' }) ?? 0) >= 1);
      assert.ok((sample(up, 'warren_consumer_intake_off_seconds_total', { consumer: 'Idle', queue, why: 'recovering' }) ?? 0) > 0);
    } finally {
      // Never leave the shared broker stopped.
      if (brokerStopped) {
        await rabbitmqctl('start_app');
        await rabbitmqctl('await_startup');
      }
      server.close();
      await app.stop();
    }
  });
});
