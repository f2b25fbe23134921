import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, deadLetterQueueName, HEADER, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('settling', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a handler that throws dead-letters the message once, with reasons, and the channel stays open', async () => {
    const queue = uniqueName('throws');
    admin.trackQueue(queue);
    const calls = new Map<number, number>();
    @Consumer({ queue, prefetch: 5 })
    class FailingWorker extends Worker<{ n: number }> {
      async handle(msg: { n: number }): Promise<void> {
        calls.set(msg.n, (calls.get(msg.n) ?? 0) + 1);
        if (msg.n === 3) throw new TypeError('cannot charge order 3');
      }
    }
    const app = await startTestApp({ consumers: [FailingWorker] });
    try {
      await admin.sendMany(
        queue,
        [1, 2, 3, 4, 5].map((n) => ({ n })),
      );
      const dlq = deadLetterQueueName(queue);
      await waitFor('one message in the DLQ', async () => (await admin.depth(dlq)) === 1);
      await waitFor('all settled', () => app.consumers[0]?.stats().acked === 4 && app.consumers[0]?.stats().deadLettered === 1);
      assert.equal(calls.get(3), 1, 'not spinning: the failing message was handled once');
      assert.deepEqual([...calls.values()], [1, 1, 1, 1, 1]);
      const stats = app.consumers[0]?.stats();
      assert.equal(stats?.channelOpens, 1, 'the channel was never reopened (no 406)');
      assert.equal(stats?.deadLettered, 1);
      const [dead] = await admin.drain(dlq);
      assert.ok(dead);
      assert.deepEqual(JSON.parse(dead.content.toString()), { n: 3 });
      const h = dead.properties.headers ?? {};
      assert.equal(h[HEADER.reason], 'exhausted');
      assert.equal(h[HEADER.error], 'TypeError');
      assert.equal(h[HEADER.errorMessage], 'cannot charge order 3');
      assert.equal(h[HEADER.consumer], 'FailingWorker');
      assert.equal(h[HEADER.attempt], 1);
      const counts = await queueCounts(queue);
      assert.deepEqual([counts.ready, counts.unacked], [0, 0]);
      // The channel is still usable: one more message is consumed and acked.
      await admin.sendMany(queue, [{ n: 6 }]);
      await waitFor('the 6th acked on the same channel', () => (app.consumers[0]?.stats().acked ?? 0) === 5);
      assert.equal(app.consumers[0]?.stats().channelOpens, 1);
    } finally {
      await app.stop();
    }
  });

  it('a body that is not JSON never reaches the handler and is dead-lettered with the reason', async () => {
    const queue = uniqueName('badjson');
    admin.trackQueue(queue);
    let calls = 0;
    @Consumer({ queue })
    class JsonWorker extends Worker {
      async handle(): Promise<void> {
        calls++;
      }
    }
    const app = await startTestApp({ consumers: [JsonWorker] });
    try {
      await admin.sendMany(queue, [Buffer.from('{not json')], { contentType: 'application/json' });
      const dlq = deadLetterQueueName(queue);
      await waitFor('dead-lettered', async () => (await admin.depth(dlq)) === 1);
      const [dead] = await admin.drain(dlq);
      assert.equal(dead?.properties.headers?.[HEADER.reason], 'decode');
      assert.match(String(dead?.properties.headers?.[HEADER.errorMessage]), /not valid JSON/);
      assert.equal(calls, 0);
    } finally {
      await app.stop();
    }
  });
});
