// @warren-test serial: sets a broker memory alarm
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, Worker } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('liveness', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('reports a consumer attached to a queue with ready messages that receives nothing, once, and when it recovers', async () => {
    const queue = uniqueName('stall');
    admin.trackQueue(queue);
    // A single-active-consumer queue whose active consumer hangs: Warren's consumer is attached
    // (a standby) and gets nothing while messages pile up; the stall MassTransit #6191 describes.
    const args = { 'x-single-active-consumer': true };
    await admin.channel.assertQueue(`${queue}.dlq`, { durable: true });
    await admin.channel.assertQueue(queue, {
      durable: true,
      arguments: { ...args, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` },
    });
    const hung = await admin.connection.createChannel();
    await hung.prefetch(1);
    await hung.consume(queue, () => undefined, { noAck: false });

    const handled = new Tally();
    @Consumer({ queue, arguments: args })
    class Standby extends Worker<{ id: string }> {
      async handle(m: { id: string }): Promise<void> {
        handled.add(m.id);
      }
    }
    const app = await startTestApp({ consumers: [Standby] }, { liveness: { checkEveryMs: 100, stalledAfterMs: 500 } });
    const events: string[] = [];
    app.events.on('stalled', (name, ready) => events.push(`stalled ${name} ${ready > 0}`));
    app.events.on('stallCleared', (name) => events.push(`cleared ${name}`));
    try {
      assert.equal(app.health().status, 'ok');
      await admin.sendMany(
        queue,
        Array.from({ length: 20 }, (_, i) => ({ id: `s${i}` })),
      );
      await waitFor('stall reported', () => events.length === 1, 10_000);
      assert.deepEqual(events, ['stalled Standby true']);
      assert.equal(app.health().status, 'degraded');
      assert.equal(app.health().liveness.consumers.Standby?.stalled, true);
      await app.liveness?.check();
      assert.equal(events.length, 1, 'reported once, not on every check');
      // The hung consumer goes away: Warren's becomes active and drains the queue.
      await hung.close();
      await waitFor('all handled', () => handled.seen.size >= 19, 10_000);
      await waitFor('stall cleared', () => events.length === 2, 10_000);
      assert.deepEqual(events, ['stalled Standby true', 'cleared Standby']);
      assert.equal(app.health().status, 'ok');
    } finally {
      await app.stop();
    }
  });

  it('reports a connection blocked by the broker for longer than the threshold, and when it ends', async () => {
    const queue = uniqueName('blockedlong');
    admin.trackQueue(queue);
    @Consumer({ queue })
    class Quiet extends Worker {
      async handle(): Promise<void> {}
    }
    const app = await startTestApp({ consumers: [Quiet] }, { liveness: { checkEveryMs: 100, blockedAfterMs: 300 } });
    try {
      await withMemoryAlarm(async () => {
        // The broker tells a connection it is blocked only when it publishes.
        const attempt = app.publisher.send(queue, { probe: true }, { timeoutMs: 1500 }).catch((e: unknown) => e);
        await waitFor(
          'publish connection blocked too long',
          () => app.health().liveness.connections.publish?.blockedTooLong === true,
          10_000,
        );
        assert.equal(app.health().status, 'degraded');
        assert.equal(app.health().liveness.connections.consume?.blocked, false, 'the consume connection is not blocked');
        await attempt;
      });
      await waitFor('unblocked', () => app.health().liveness.connections.publish?.blockedTooLong === false, 10_000);
      assert.equal(app.health().status, 'ok');
    } finally {
      await app.stop();
    }
  });
});
