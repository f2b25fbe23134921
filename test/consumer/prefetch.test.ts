import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, type MessageContext, type WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, Gauge, queueCounts, sleep, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('back-pressure through prefetch and concurrency', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('prefetch 10, 50 ms handler, 300 messages: exactly 10 run at once, broker unacked <= 10, each id once', async () => {
    const queue = uniqueName('prefetch');
    admin.trackQueue(queue);
    const gauge = new Gauge();
    const tally = new Tally();
    // The first handlers wait at a gate until the broker has been seen holding the full window:
    // sampling alone misses it when rabbitmqctl is slower than the whole drain (a loaded machine).
    let openGate = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    @Consumer({ queue, prefetch: 10 })
    class SlowWorker extends Worker<{ id: string }> {
      async handle(msg: { id: string }, ctx: MessageContext): Promise<void> {
        gauge.enter();
        try {
          await gate;
          await sleep(50, ctx.signal);
          tally.add(msg.id);
        } finally {
          gauge.leave();
        }
      }
    }
    const app: WarrenApp = await startTestApp({ consumers: [SlowWorker] });
    try {
      const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('10 handlers at the gate', () => gauge.current === 10);
      const held = await queueCounts(queue);
      openGate();
      assert.deepEqual([held.unacked, held.ready], [10, 290], 'with every handler held, the broker holds exactly the window');
      const unackedSamples: number[] = [held.unacked];
      // The broker's own count of unacked deliveries, sampled while the backlog drains.
      while (tally.total < 250) unackedSamples.push((await queueCounts(queue)).unacked);
      await waitFor('all handled', () => tally.total >= 300, 30_000);
      assert.equal(gauge.max, 10, 'most handlers at once');
      assert.ok(unackedSamples.length > 0 && Math.max(...unackedSamples) <= 10, `broker unacked samples ${unackedSamples}`);
      assert.ok(
        unackedSamples.some((n) => n === 10),
        `the window was seen full: ${unackedSamples}`,
      );
      assert.deepEqual(tally.missing(ids), []);
      assert.equal(tally.duplicates(), 0);
      const stats = app.consumers[0]?.stats();
      assert.equal(stats?.acked, 300);
      await waitFor('queue empty', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
    } finally {
      await app.stop();
    }
  });

  it('concurrency 4 with prefetch 10: at most 4 handlers run, while the broker lets 10 be unacked', async () => {
    const queue = uniqueName('concurrency');
    admin.trackQueue(queue);
    const gauge = new Gauge();
    let done = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    @Consumer({ queue, prefetch: 10, concurrency: 4 })
    class LimitedWorker extends Worker {
      async handle(): Promise<void> {
        gauge.enter();
        try {
          await gate;
          await sleep(20);
        } finally {
          gauge.leave();
          done++;
        }
      }
    }
    const app = await startTestApp({ consumers: [LimitedWorker] });
    try {
      await admin.sendMany(
        queue,
        Array.from({ length: 40 }, (_, i) => ({ i })),
      );
      await waitFor('4 handlers blocked on the gate', () => gauge.current === 4);
      await waitFor('broker shows a full prefetch window', async () => (await queueCounts(queue)).unacked === 10, 10_000, 100);
      assert.equal(gauge.current, 4);
      release();
      await waitFor('all 40 handled', () => done === 40, 20_000);
      assert.equal(gauge.max, 4);
    } finally {
      await app.stop();
    }
  });
});
