// @warren-test serial: broker-wide faults (close_all_connections, stop_app, alarms) and timing
import 'reflect-metadata';
import { test } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { rabbitmqctl, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import {
  COUNT,
  checkTally,
  consuming,
  deleteQueues,
  nextConsumeConnect,
  PacedProducer,
  stopQuietly,
  Timeline,
  tallyWorker,
  within,
} from './harness.js';

const PREFETCH = 10;
const FAULTS = 3;

test('close_all_connections three times during consumption: every id handled, none lost', async (t) => {
  const queue = uniqueName('fault.closeall');
  const tally = new Tally();
  const timeline = new Timeline();
  let app: WarrenApp | undefined;
  let producer: PacedProducer | undefined;
  const recoveries: number[] = [];
  try {
    app = await startTestApp({ name: queue, consumers: [tallyWorker(tally, timeline, { queue, prefetch: PREFETCH, handlerMs: 5 })] });
    producer = (await PacedProducer.direct(queue, COUNT, 250, `${queue}-producer`)).start();
    for (let i = 1; i <= FAULTS; i++) {
      await waitFor(`${i * 500} handled`, () => tally.total >= i * 500, 30_000);
      const reconnected = nextConsumeConnect(app);
      const closedAt = Date.now();
      // Every connection on the vhost: the worker's two, the producer's, and (unavoidably) any other test's.
      await rabbitmqctl('close_all_connections', 'test');
      await within(30_000, 'consume connection reconnected', reconnected);
      await consuming(app);
      const handledBefore = tally.total;
      await waitFor('a message handled after recovery', () => tally.total > handledBefore, 15_000);
      recoveries.push(Date.now() - closedAt);
    }
    await producer.finished();
    await waitFor(`all ${COUNT} handled`, () => tally.missing(producer?.ids ?? []).length === 0, 30_000);
    await checkTally(t, {
      scenario: `close_all_connections x${FAULTS}`,
      expected: producer.ids,
      tally,
      // Each close returns the worker's unacked deliveries (<= prefetch), and the producer re-sends its unconfirmed ones.
      maxDuplicates: FAULTS * PREFETCH + producer.publisher.stats().republished + producer.resent,
      queues: [queue],
      consumer: app.consumers[0]?.stats(),
      producer: { ...producer.publisher.stats(), resent: producer.resent },
      extra: { 'close -> handling again (ms)': recoveries },
    });
  } finally {
    producer?.stop();
    await producer?.publisher.close();
    await stopQuietly(app);
    await deleteQueues(queue);
  }
});
