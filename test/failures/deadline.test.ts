// @warren-test serial: changes the broker's consumer_timeout
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, Consumer, DEADLINE_HEADER, DeadlineExceededError, type MessageContext, Worker } from '@warren/core';
import { BrokerAdmin, brokerEval, sleep, TestHarness, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('deadlines', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('timeoutMs 200 with a handler that waits on ctx.signal: aborted with DeadlineExceededError, then retried', async () => {
    const queue = uniqueName('deadline');
    admin.trackQueue(queue);
    const reasons: unknown[] = [];
    @Consumer({ queue, timeoutMs: 200, retry: { attempts: 2, delayMs: 50 } })
    class Cooperative extends Worker {
      async handle(_m: unknown, ctx: MessageContext): Promise<void> {
        if (ctx.attempt > 1) return;
        const started = Date.now();
        await sleep(5000, ctx.signal).catch((e: unknown) => {
          reasons.push(ctx.signal.reason);
          assert.ok(Date.now() - started >= 190);
          throw e;
        });
      }
    }
    const h = await TestHarness.start({ consumers: [Cooperative] });
    try {
      const first = await h.publish(queue, { job: 1 });
      assert.deepEqual(first.outcome, { action: 'retry', delayMs: 50 });
      assert.ok(first.durationMs >= 200 && first.durationMs < 1000, `timed out after ${first.durationMs} ms`);
      assert.ok(reasons[0] instanceof DeadlineExceededError);
      assert.equal((await h.nextOutcome(first.messageId)).result, 'acked');
    } finally {
      await h.stop();
    }
  });

  it('a handler that ignores the signal: not awaited past the deadline, its late success discarded and never acked twice', async () => {
    const queue = uniqueName('ignores');
    admin.trackQueue(queue);
    let lateFinished = 0;
    @Consumer({ queue, timeoutMs: 200, retry: { attempts: 2, delayMs: 50 } })
    class Stubborn extends Worker {
      async handle(_m: unknown, ctx: MessageContext): Promise<void> {
        if (ctx.attempt > 1) return;
        await sleep(600); // ignores ctx.signal
        lateFinished++;
      }
    }
    const h = await TestHarness.start({ consumers: [Stubborn] });
    try {
      const first = await h.publish(queue, { job: 1 });
      assert.equal(first.result, 'retried');
      assert.ok(first.durationMs < 500, 'settled at the deadline, not when the handler ended');
      const second = await h.nextOutcome(first.messageId);
      assert.equal(second.result, 'acked');
      await waitFor('the late handler ended', () => lateFinished === 1);
      await waitFor('late result counted', () => h.consumer(queue).stats().lateResults === 1);
      const stats = h.consumer(queue).stats();
      assert.equal(stats.acked, 1);
      assert.equal(stats.retried, 1);
      assert.equal(stats.channelOpens, 1, 'no second ack closed the channel (406)');
      assert.equal(h.outcomes(first.messageId).length, 2);
    } finally {
      await h.stop();
    }
  });

  it('a deadline set by the publisher (x-warren-deadline) aborts the handler even without timeoutMs', async () => {
    const queue = uniqueName('hdrdeadline');
    admin.trackQueue(queue);
    const aborted: unknown[] = [];
    @Consumer({ queue, retry: { attempts: 2, delayMs: 50 } })
    class HeaderBound extends Worker {
      async handle(_m: unknown, ctx: MessageContext): Promise<void> {
        if (ctx.attempt > 1) return;
        await sleep(5000, ctx.signal).catch((e: unknown) => {
          aborted.push(e);
          throw e;
        });
      }
    }
    const h = await TestHarness.start({ consumers: [HeaderBound] });
    try {
      const first = await h.publish(queue, { job: 1 }, { headers: { [DEADLINE_HEADER]: Date.now() + 300 } });
      // The caller's own deadline passed: a retry is pointless, so it is dead-lettered as expired.
      assert.deepEqual(first.outcome, { action: 'dead-letter', reason: 'expired' });
      assert.ok(first.durationMs < 1500, `aborted near the deadline (${first.durationMs} ms)`);
      assert.ok(aborted[0] instanceof DeadlineExceededError);
      const [dead] = await h.takeDeadLetters(queue);
      assert.equal(dead?.properties.headers?.['x-warren-reason'], 'expired');
    } finally {
      await h.stop();
    }
  });

  it("refuses at start a timeoutMs the broker's consumer_timeout would beat", async () => {
    const queue = uniqueName('ctimeout');
    admin.trackQueue(queue);
    @Consumer({ queue, timeoutMs: 5000 })
    class TooPatient extends Worker {
      async handle(): Promise<void> {}
    }
    await brokerEval('application:set_env(rabbit, consumer_timeout, 2000).');
    try {
      await assert.rejects(
        startTestApp({ consumers: [TooPatient] }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /TooPatient: option "timeoutMs" \(5000 ms\) must be below the broker's delivery timeout \(2000 ms, consumer_timeout, rabbitmqctl\)/.test(
            e.message,
          ),
      );
      // Told explicitly (for a broker rabbitmqctl cannot reach), the same check applies.
      await assert.rejects(startTestApp({ consumers: [TooPatient] }, { consumerTimeoutMs: 3000 }), ConfigError);
    } finally {
      await brokerEval('application:set_env(rabbit, consumer_timeout, 1800000).');
    }
    const app = await startTestApp({ consumers: [TooPatient] });
    await app.stop();
  });
});
