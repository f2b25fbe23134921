import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, Worker } from '@warren/core';
import { BrokerAdmin, closeConnectionsNamed, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('pause and resume', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a paused consumer takes nothing, stays paused across a reconnect, and resumes where it was', async () => {
    const queue = uniqueName('pause');
    admin.trackQueue(queue);
    const handled = new Tally();
    @Consumer({ queue, prefetch: 5 })
    class Pausable extends Worker<{ id: string }> {
      async handle(m: { id: string }): Promise<void> {
        handled.add(m.id);
      }
    }
    const appName = uniqueName('pauseapp');
    const app = await startTestApp({ name: appName, consumers: [Pausable] });
    const consumer = app.consumers[0];
    assert.ok(consumer);
    try {
      await admin.sendMany(queue, [{ id: 'before' }]);
      await waitFor('first handled', () => handled.seen.has('before'));
      await consumer.pause();
      assert.equal(consumer.state, 'paused');
      assert.equal((await queueCounts(queue)).consumers, 0, 'the broker consumer is cancelled');
      const ids = Array.from({ length: 20 }, (_, i) => `p${i}`);
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );

      const generation = app.connections.consume.generation;
      assert.ok((await closeConnectionsNamed(`${appName}:consume`)) >= 1);
      await waitFor(
        'reconnected',
        () => app.connections.consume.generation > generation && app.connections.consume.state === 'connected',
        15_000,
      );
      // Restored (a new channel, topology declared) but still paused: it does not consume.
      await waitFor('channel reopened, still paused', () => consumer.stats().channelOpens >= 2 && consumer.state === 'paused', 15_000);
      const counts = await queueCounts(queue);
      assert.deepEqual([counts.ready, counts.consumers], [20, 0], 'nothing taken while paused');
      assert.equal(handled.total, 1);

      await consumer.resume();
      assert.equal(consumer.state, 'consuming');
      await waitFor('all handled after resume', () => handled.seen.size === 21);
      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);
    } finally {
      await app.stop();
    }
  });
});
