// @warren-test serial: broker-wide faults (close_all_connections, stop_app, alarms) and timing
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { BrokerAdmin, rabbitmqctl, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { COUNT, checkTally, consuming, deleteQueues, PacedProducer, stopQuietly, Timeline, tallyWorker } from './harness.js';

const PREFETCH = 10;

test('stop_app / start_app during consumption and publishing: every id handled and forwarded; recovery time measured', async (t) => {
  const queue = uniqueName('fault.restart');
  const out = `${queue}.out`;
  const tally = new Tally();
  const timeline = new Timeline();
  let app: WarrenApp | undefined;
  let producer: PacedProducer | undefined;
  let brokerStopped = false;
  try {
    const setup = await BrokerAdmin.open();
    await setup.channel.assertQueue(out, { durable: true });
    await setup.connection.close();
    app = await startTestApp(
      { name: queue, consumers: [tallyWorker(tally, timeline, { queue, prefetch: PREFETCH, handlerMs: 5, forwardTo: out })] },
      // Forwards wait out the outage (they are persistent, on a durable queue) and are re-sent if their confirm was lost.
      { publisher: { republishUnconfirmed: true, timeoutMs: 120_000 } },
    );
    const connects: number[] = [];
    app.connections.consume.events.on('connected', () => connects.push(Date.now()));
    producer = (await PacedProducer.direct(queue, COUNT, 250, `${queue}-producer`)).start();

    await waitFor('800 handled', () => tally.total >= 800, 30_000);
    const stopAt = Date.now();
    brokerStopped = true;
    await rabbitmqctl('stop_app');
    const stoppedAt = Date.now();
    const handledWhileDown = tally.total;
    await rabbitmqctl('start_app');
    const startAppReturnedAt = Date.now();
    await rabbitmqctl('await_startup');
    const upAt = Date.now();
    brokerStopped = false;

    await waitFor('a message handled after the restart', () => timeline.firstDoneAfter(upAt) !== undefined, 60_000);
    await consuming(app);
    const reconnectAt = connects.find((c) => c >= stoppedAt) as number;
    const firstStart = timeline.firstStartAfter(stoppedAt) as number;
    const firstDone = timeline.firstDoneAfter(stoppedAt) as number;
    const recovery = {
      'stop_app took (ms)': stoppedAt - stopAt,
      'start_app took (ms)': startAppReturnedAt - stoppedAt,
      'await_startup took (ms)': upAt - startAppReturnedAt,
      'start_app returned -> consume reconnected (ms)': reconnectAt - startAppReturnedAt,
      'start_app returned -> first handler start (ms)': firstStart - startAppReturnedAt,
      'start_app returned -> first message handled (ms)': firstDone - startAppReturnedAt,
      'await_startup returned -> first message handled (ms)': firstDone - upAt,
    };
    console.log(`[faults] stop_app/start_app recovery: ${JSON.stringify(recovery)}`);
    t.diagnostic(`recovery: ${JSON.stringify(recovery)}`);

    await producer.finished(90_000);
    await waitFor(`all ${COUNT} handled`, () => tally.missing(producer?.ids ?? []).length === 0, 60_000);
    const consumer = app.consumers[0]?.stats();
    const appPublisher = app.publisher.stats();
    await stopQuietly(app);
    app = undefined;

    const admin = await BrokerAdmin.open();
    const forwarded = (await admin.drain(out)).map((m) => (JSON.parse(m.content.toString()) as { id: string }).id);
    await admin.connection.close();
    const forwardedSet = new Set(forwarded);
    const notForwarded = producer.ids.filter((id) => !forwardedSet.has(id));
    await checkTally(t, {
      scenario: 'stop_app/start_app',
      expected: producer.ids,
      tally,
      // The restart returns the worker's unacked deliveries (<= prefetch); the producer re-sends its unconfirmed ones.
      maxDuplicates: PREFETCH + producer.publisher.stats().republished + producer.resent,
      queues: [queue, out],
      consumer,
      producer: { ...producer.publisher.stats(), resent: producer.resent },
      extra: {
        'handled when stop_app returned': handledWhileDown,
        forwarded: `${forwarded.length} (distinct ${forwardedSet.size}, missing ${notForwarded.length})`,
        'app publisher republished': appPublisher.republished,
        'app publisher unconfirmed': appPublisher.unconfirmed,
      },
    });
    assert.deepEqual(notForwarded.slice(0, 20), [], `${notForwarded.length} handled ids were never forwarded`);
  } finally {
    if (brokerStopped) {
      await rabbitmqctl('start_app').catch((e: unknown) => console.error('start_app failed', e));
      await rabbitmqctl('await_startup').catch((e: unknown) => console.error('await_startup failed', e));
    }
    producer?.stop();
    await producer?.publisher.close();
    await stopQuietly(app);
    await deleteQueues(queue, out);
  }
});
