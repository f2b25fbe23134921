// Side by side with other files: the queue deleted is its own, and nothing here changes the broker as a whole.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { BrokerAdmin, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { COUNT, checkTally, deleteQueues, stopQuietly, Timeline, tallyWorker } from './harness.js';

const PREFETCH = 10;

test('the consumed queue deleted under the consumer: Warren redeclares and resubscribes; everything published after is handled', async (t) => {
  const queue = uniqueName('fault.qdelete');
  const before = new Tally();
  const after = new Tally();
  const timeline = new Timeline();
  let recreated = false;
  let app: WarrenApp | undefined;
  const admin = await BrokerAdmin.open();
  try {
    const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    // Each id goes to the tally of its phase: messages lost with the deleted queue are gone for good.
    const worker = tallyWorker(new Tally(), timeline, {
      queue,
      prefetch: PREFETCH,
      handlerMs: 5,
      onHandled: (id) => (recreated ? after : before).add(id),
    });
    app = await startTestApp({ name: queue, consumers: [worker] });
    const interruptions: string[] = [];
    app.events.on('consumerInterrupted', (_name, reason) => interruptions.push(reason));

    await admin.sendMany(
      queue,
      ids('a', 1000).map((id) => ({ id })),
    );
    await waitFor('200 handled', () => before.total >= 200, 15_000);
    const deletedAt = Date.now();
    const { messageCount } = await admin.channel.deleteQueue(queue);
    await waitFor(
      'consumer back on a redeclared queue',
      async () => (await queueCounts(queue).catch(() => ({ consumers: 0 }))).consumers === 1,
      20_000,
    );
    const resubscribedMs = Date.now() - deletedAt;
    await waitFor('no more phase-one handlers running', () => app?.consumers[0]?.stats().inFlight === 0, 5000);
    recreated = true;

    const expected = ids('b', COUNT);
    await admin.sendMany(
      queue,
      expected.map((id) => ({ id })),
    );
    await waitFor(`all ${COUNT} handled`, () => after.missing(expected).length === 0, 30_000);
    await checkTally(t, {
      scenario: 'queue deleted and recreated',
      expected,
      tally: after,
      maxDuplicates: 0,
      queues: [queue],
      consumer: app.consumers[0]?.stats(),
      extra: {
        'handled before delete': before.total,
        'deleted with the queue': messageCount,
        'delete -> consuming again (ms, incl. rabbitmqctl polling)': resubscribedMs,
        interruptions,
      },
    });
    assert.ok(
      interruptions.some((r) => r.includes('cancel')),
      `the broker cancel was reported: ${JSON.stringify(interruptions)}`,
    );
    assert.equal(app.consumers[0]?.state, 'consuming');
  } finally {
    await stopQuietly(app);
    await admin.connection.close().catch(() => undefined);
    await deleteQueues(queue);
  }
});
