/**
 * A publish's own AbortSignal: a publish held at a queue's `limits` mark gives up when its signal
 * aborts (a handler's attempt ended), and is never sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublisher, DeadlineExceededError, silentLogger } from '@warren/core';
import { BrokerAdmin, uniqueName, waitFor } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';

describe('publish signal', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a publish held at a mark rejects with its signal reason when it aborts, and never reaches the queue', async () => {
    const queue = uniqueName('pubsignal');
    admin.trackQueue(queue);
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.sendMany(queue, [{ n: 1 }, { n: 2 }]);
    const publisher = await createPublisher({ url: BROKER_URL, logger: silentLogger(), limits: { [queue]: { maxReady: 1 } } });
    try {
      const controller = new AbortController();
      const started = Date.now();
      const held = publisher.send(queue, { n: 3 }, { signal: controller.signal, timeoutMs: 10_000 }).then(
        () => 'sent',
        (e: unknown) => e,
      );
      await waitFor('held at the mark', () => publisher.stats().held === 1, 5000);
      const reason = new DeadlineExceededError("the handler's attempt ended");
      controller.abort(reason);
      const fate = await held;
      assert.equal(fate, reason, 'rejected with the reason its signal gave');
      assert.ok(Date.now() - started < 5000);
      assert.equal(publisher.stats().held, 0);
      // An already-aborted signal refuses at once.
      await assert.rejects(publisher.send(queue, { n: 4 }, { signal: AbortSignal.abort(reason) }), (e: unknown) => e === reason);
      const inQueue = (await admin.drain(queue)).map((m) => (JSON.parse(m.content.toString()) as { n: number }).n);
      assert.deepEqual(inQueue, [1, 2], 'neither aborted publish was sent');
    } finally {
      await publisher.close();
    }
  });
});
