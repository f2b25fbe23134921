import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosedError, Consumer, type StopReport, silentLogger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, Tally, uniqueName } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';

test('stop() while start() is between consumers: start rejects with ClosedError, what started stops in order, nothing lost', async (t) => {
  const admin = await BrokerAdmin.open();
  const first = uniqueName('stopstart.a');
  const second = uniqueName('stopstart.b');
  admin.trackQueue(first, second);
  // Declared as Warren declares it, and filled, so deliveries arrive the moment the first consumer starts.
  await admin.channel.assertQueue(first, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${first}.dlq` },
  });
  const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
  await admin.sendMany(
    first,
    ids.map((id) => ({ id })),
  );
  const handled = new Tally();

  @Consumer({ queue: first, prefetch: 5 })
  class FirstWorker extends Worker<{ id: string }> {
    async handle(m: { id: string }): Promise<void> {
      await sleep(100); // ignores the signal: stop must wait for it within the grace period
      handled.add(m.id);
    }
  }
  @Consumer({ queue: second })
  class SecondWorker extends Worker<unknown> {
    async handle(): Promise<void> {}
  }

  const app = await WarrenApp.create(
    { consumers: [FirstWorker, SecondWorker] },
    { urls: BROKER_URL, logger: silentLogger(), shutdownGraceMs: 5000 },
  );
  const states: string[] = [];
  let stopping: Promise<StopReport> | undefined;
  app.events.on('consumerState', (name, state) => {
    states.push(`${name} ${state}`);
    // The first consumer is up and start() is still in its loop: the second has not begun.
    if (name === 'FirstWorker' && state === 'consuming') stopping ??= app.stop();
  });
  try {
    const startError = await app.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(startError instanceof ClosedError, String(startError));
    assert.equal(startError.message, 'the app was stopped while starting');
    const report = await (stopping as Promise<StopReport>);
    assert.equal(report.clean, true);
    assert.equal(app.state, 'stopped');
    assert.deepEqual(
      states.filter((s) => s.startsWith('SecondWorker')),
      ['SecondWorker stopping', 'SecondWorker stopped'],
      'the second consumer never started',
    );
    const counts = await queueCounts(first);
    assert.equal(counts.unacked, 0);
    assert.equal(counts.consumers, 0);
    assert.equal(handled.duplicates(), 0);
    assert.equal(handled.total + counts.ready, ids.length, 'handled + still ready = published');
    t.diagnostic(`${handled.total} handled by the consumer that started, ${counts.ready} still ready`);
  } finally {
    await app.stop();
    await admin.cleanup();
  }
});
