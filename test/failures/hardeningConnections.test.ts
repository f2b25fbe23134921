/**
 * Hardening regressions at the connection's edges, each failing on the code before its fix: a
 * reconnect before a clean stop, ten connection kills in a row, and a channel that opens while its
 * consumer stops. Real faults (rabbitmqctl, a TCP proxy), exact counts, each on its own queues and
 * connections, so side by side with other files.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, deadLetterQueueName, Worker } from '@warren/core';
import {
  BrokerAdmin,
  closeConnectionsNamed,
  connectionNameIn,
  Gauge,
  rabbitmqctl,
  sleep,
  Tally,
  TcpProxy,
  uniqueName,
  waitFor,
} from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import { type Job, sendJobs } from './hardeningKit.js';

/** Channels the broker lists on connections whose client-provided name starts with `prefix`. */
async function channelsOf(prefix: string): Promise<number> {
  const connections = JSON.parse(await rabbitmqctl('list_connections', 'name', 'client_properties', '--formatter', 'json')) as Array<{
    name: string;
    client_properties: unknown;
  }>;
  const names = connections.filter((c) => connectionNameIn(c.client_properties).startsWith(prefix)).map((c) => `${c.name} (`);
  const channels = JSON.parse(await rabbitmqctl('list_channels', 'name', '--formatter', 'json')) as Array<{ name: string }>;
  return channels.filter((ch) => names.some((n) => ch.name.startsWith(n))).length;
}

describe('hardening: connections come and go', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('the stop report is about this shutdown: an earlier reconnect does not make it unclean', async () => {
    const queue = uniqueName('cleanstop');
    admin.trackQueue(queue);
    const handled = new Tally();
    const running = new Gauge();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    @Consumer({ queue, prefetch: 5 })
    class Held extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        running.enter();
        await gate;
        running.leave();
        handled.add(job.id);
      }
    }
    const name = uniqueName('cleanstop-app');
    const app = await startTestApp({ name, consumers: [Held] });
    try {
      const ids = await sendJobs(admin, queue, 'c', 20);
      await waitFor('a full window in flight', () => running.current === 5);
      // Kill the consuming connection with deliveries in flight: their settles cannot reach the broker.
      assert.equal(await closeConnectionsNamed(`${name}:consume`), 1);
      await waitFor('the loss noticed', () => app.consumers[0]?.state !== 'consuming');
      release();
      await waitFor('every id handled', () => handled.missing(ids).length === 0, 20_000);
      assert.equal(app.consumers[0]?.stats().unsettleable, 5, 'the reconnect left 5 settles that could not reach the broker');
    } finally {
      release();
      const report = await app.stop();
      assert.equal(report.clean, true, 'nothing of this shutdown was left unsettled');
    }
  });

  it('ten connection kills in a row dead-letter nothing that never failed', async () => {
    const queue = uniqueName('blips');
    admin.trackQueue(queue);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(BROKER_URL).port || 5672) });
    const handled = new Tally();
    const prefetch = 50;
    // One handler at a time: at each kill, one message is running and 49 were only prefetched.
    @Consumer({ queue, prefetch, concurrency: 1 })
    class Steady extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        await sleep(20);
        handled.add(job.id);
      }
    }
    // Kills 1–2 s apart count as flapping, and the backoff would grow to 15 s: what is tested here is
    // what a kill does to the messages, not the backoff (test/faults covers that), so cap it.
    const reconnect = { initialDelayMs: 100, maxDelayMs: 400 };
    const app = await startTestApp({ consumers: [Steady] }, { urls: proxy.url(BROKER_URL), liveness: false, reconnect });
    const consumer = app.consumers[0];
    try {
      // No messageId (a foreign producer): the process knows them again by their body.
      const ids = await sendJobs(admin, queue, 'b', 300);
      for (let kill = 0; kill < 10; kill++) {
        await waitFor(
          'consuming with the window at least half full',
          () => consumer?.state === 'consuming' && consumer.stats().inFlight >= prefetch / 2,
          30_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message} at kill ${kill}: ${JSON.stringify(consumer?.stats())}; handled ${handled.total}`);
        });
        assert.equal(proxy.resetWhere(':consume'), 1);
        await waitFor('the loss noticed', () => consumer?.state !== 'consuming', 5000);
      }
      await waitFor('every id handled', () => handled.missing(ids).length === 0, 60_000);
      const s = consumer?.stats();
      const dlq = await admin.depth(deadLetterQueueName(queue));
      console.log(
        `# [hardening] 10 kills: handled ${handled.total} (distinct ${handled.seen.size}), duplicates ${handled.duplicates()}, dlq ${dlq}, ` +
          `redeliveriesCounted ${s?.redeliveriesCounted}, isolations ${s?.isolations}, unsettleable ${s?.unsettleable}`,
      );
      assert.equal(dlq, 0, 'nothing dead-lettered as redelivery-limit');
      // Counted: the one running at each kill, and the few whose ack the kill swallowed.
      assert.ok((s?.redeliveriesCounted ?? 0) <= 30, `only messages that had started were counted (${s?.redeliveriesCounted})`);
    } finally {
      await app.stop();
      await proxy.close();
    }
  });

  it('a channel that opens while the consumer stops is closed, not left behind', async () => {
    const queue = uniqueName('lateopen');
    admin.trackQueue(queue);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(BROKER_URL).port || 5672) });
    @Consumer({ queue })
    class Idle extends Worker {
      async handle(): Promise<void> {}
    }
    const name = uniqueName('lateopen-app');
    const app = await startTestApp({ name, consumers: [Idle] }, { urls: proxy.url(BROKER_URL), heartbeatSec: 60, liveness: false });
    try {
      const consumer = app.consumers[0];
      // The consumer's channel, and the app's own (cancel notices for requests).
      const before = await channelsOf(`${name}:consume`);
      assert.equal(before, 2);
      // The broker cancels the consumer (queue deleted); the reopen stalls on the network...
      const interrupted = new Promise<void>((resolve) => app.events.on('consumerInterrupted', () => resolve()));
      await admin.channel.deleteQueue(queue);
      await interrupted;
      proxy.stallWhere(':consume');
      await waitFor('reopening', () => proxy.heldBytes > 0, 5000);
      // ...stop() finishes meanwhile, and only then does the new channel open.
      await consumer?.stop(0);
      proxy.resume();
      await waitFor('the late channel opened', () => consumer?.stats().channelOpens === 2, 10_000);
      await waitFor('and closed again', async () => (await channelsOf(`${name}:consume`)) === before - 1, 5000).catch(() => undefined);
      assert.equal(await channelsOf(`${name}:consume`), before - 1, "no consumer channel left on the live connection, only the app's own");
    } finally {
      proxy.resume();
      await app.stop(0);
      await proxy.close();
    }
  });
});
