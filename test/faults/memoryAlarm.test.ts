// @warren-test serial: broker-wide faults (close_all_connections, stop_app, alarms) and timing
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { COUNT, checkTally, deleteQueues, stopQuietly, Timeline, tallyWorker, within } from './harness.js';

const PREFETCH = 4;
const PLAIN = 1000;

test('memory alarm on and off while handlers publish: acks keep flowing on the consume connection; all completes after the alarm', async (t) => {
  const queue = uniqueName('fault.alarm');
  const out = `${queue}.out`;
  const plainQueue = `${queue}.plain`;
  const forwarding = new Tally();
  const plain = new Tally();
  const timeline = new Timeline();
  let app: WarrenApp | undefined;
  const admin = await BrokerAdmin.open();
  try {
    await admin.channel.assertQueue(out, { durable: true });
    // Two consumers on the app's one consume connection: one forwards every message through the
    // injected Publisher (so it stalls while the broker blocks publishers), one only acks.
    app = await startTestApp(
      {
        name: queue,
        consumers: [
          tallyWorker(forwarding, timeline, { queue, name: 'Forwarding', prefetch: PREFETCH, handlerMs: 5, forwardTo: out }),
          tallyWorker(plain, new Timeline(), { queue: plainQueue, name: 'Plain', prefetch: 1, handlerMs: 8 }),
        ],
      },
      { publisher: { timeoutMs: 120_000 } },
    );
    const ids = Array.from({ length: COUNT }, (_, i) => `x${i}`);
    const plainIds = Array.from({ length: PLAIN }, (_, i) => `y${i}`);
    await admin.sendMany(
      queue,
      ids.map((id) => ({ id })),
    );
    await admin.sendMany(
      plainQueue,
      plainIds.map((id) => ({ id })),
    );
    await waitFor('300 forwarded', () => forwarding.total >= 300, 30_000);

    const running = app;
    // Subscribed before the alarm: the broker blocks the publishing connection as soon as it publishes.
    const blocked = running.events.once('blocked');
    const during = await withMemoryAlarm(async () => {
      const [connection, reason] = await within(20_000, "the publishing connection's 'blocked'", blocked);
      const forwardedAtBlock = forwarding.total;
      const plainAtBlock = plain.total;
      await waitFor('100 plain messages acked while the publisher is blocked', () => plain.total >= plainAtBlock + 100, 20_000);
      const acked = (running.consumers[1]?.stats().acked ?? 0) - plainAtBlock;
      return {
        connection,
        reason,
        publishStillBlocked: running.connections.publish.isBlocked,
        consumeBlocked: running.connections.consume.isBlocked,
        forwardedWhileBlocked: forwarding.total - forwardedAtBlock,
        plainHandledWhileBlocked: plain.total - plainAtBlock,
        ackedSinceBlock: acked,
        publisherState: running.publisher.state,
      };
    });
    const clearedAt = Date.now();
    console.log(`[faults] memory alarm: ${JSON.stringify(during)}`);
    assert.equal(during.connection, 'publish', 'only the publishing connection is blocked');
    assert.equal(during.publishStillBlocked, true);
    assert.equal(during.consumeBlocked, false);
    assert.ok(
      during.forwardedWhileBlocked <= PREFETCH,
      `forwarding handlers wait for the alarm (${during.forwardedWhileBlocked} finished)`,
    );
    assert.ok(during.ackedSinceBlock >= 100, 'acks went on while blocked');

    await waitFor(`all ${COUNT} forwarded`, () => forwarding.missing(ids).length === 0, 60_000);
    await waitFor(`all ${PLAIN} plain handled`, () => plain.missing(plainIds).length === 0, 60_000);
    const firstAfter = (timeline.firstDoneAfter(clearedAt) ?? Number.NaN) - clearedAt;
    const forwarded = (await admin.drain(out)).map((m) => (JSON.parse(m.content.toString()) as { id: string }).id);
    const forwardedSet = new Set(forwarded);
    const consumer = app.consumers[0]?.stats();
    const stats = app.publisher.stats();
    await checkTally(t, {
      scenario: 'memory alarm (forwarding consumer)',
      expected: ids,
      tally: forwarding,
      maxDuplicates: 0,
      queues: [queue, out, plainQueue],
      consumer,
      extra: {
        'plain consumer': `${plain.total} handled, ${plain.duplicates()} duplicates, ${during.ackedSinceBlock} acked while blocked`,
        'alarm cleared -> first forward done (ms)': firstAfter,
        forwarded: `${forwarded.length} (distinct ${forwardedSet.size})`,
        'app publisher': { confirmed: stats.confirmed, maxInFlightSeen: stats.maxInFlightSeen, timedOut: stats.timedOut },
      },
    });
    assert.equal(plain.duplicates(), 0);
    assert.equal(forwardedSet.size, COUNT);
    assert.equal(forwarded.length, COUNT, 'each forwarded exactly once');
  } finally {
    await stopQuietly(app);
    await admin.connection.close().catch(() => undefined);
    await deleteQueues(queue, out, plainQueue);
  }
});
