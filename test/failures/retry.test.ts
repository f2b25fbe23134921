import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, HEADER, type MessageContext, Reject, RetryLater, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, TestHarness, uniqueName, waitFor } from '@warren/testing';

describe('delayed retries through the broker', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('fails twice then succeeds: handled 3 times, acked once, delays observed, DLQ empty', async () => {
    const queue = uniqueName('retry3');
    admin.trackQueue(queue);
    const calls: number[] = [];
    const attempts: number[] = [];
    @Consumer({ queue, retry: { attempts: 3, delayMs: [200, 400] } })
    class Flaky extends Worker {
      async handle(_m: unknown, ctx: MessageContext): Promise<void> {
        calls.push(Date.now());
        attempts.push(ctx.attempt);
        if (calls.length < 3) throw new Error(`transient failure ${calls.length}`);
      }
    }
    const h = await TestHarness.start({ consumers: [Flaky] });
    try {
      const first = await h.publish(queue, { order: 1 });
      assert.equal(first.result, 'retried');
      const second = await h.nextOutcome(first.messageId);
      assert.equal(second.result, 'retried');
      const third = await h.nextOutcome(first.messageId);
      assert.equal(third.result, 'acked');
      assert.equal(calls.length, 3);
      assert.deepEqual(attempts, [1, 2, 3]);
      const [a, b, c] = calls as [number, number, number];
      assert.ok(b - a >= 200, `first delay ${b - a} ms >= 200`);
      assert.ok(c - b >= 400, `second delay ${c - b} ms >= 400`);
      assert.equal(h.outcomes(first.messageId).filter((o) => o.result === 'acked').length, 1);
      assert.equal(await admin.depth(`${queue}.dlq`), 0);
      assert.equal(await admin.depth(`${queue}.retry.200`), 0);
    } finally {
      await h.stop();
    }
  });

  it('always fails, attempts 3: exactly 3 calls, one DLQ message with reasons, queue empty; other messages flow during the delays', async () => {
    const queue = uniqueName('exhaust');
    admin.trackQueue(queue);
    let poisonCalls = 0;
    const goodHandledAt: number[] = [];
    @Consumer({ queue, prefetch: 1, retry: { attempts: 3, delayMs: 600 } })
    class Poisoned extends Worker<{ poison?: boolean; n?: number }> {
      async handle(m: { poison?: boolean }): Promise<void> {
        if (m.poison === true) {
          poisonCalls++;
          throw new RangeError('amount out of range');
        }
        goodHandledAt.push(Date.now());
      }
    }
    const h = await TestHarness.start({ consumers: [Poisoned] });
    try {
      const poison = await h.publish(queue, { poison: true });
      const firstFailAt = Date.now();
      assert.equal(poison.result, 'retried');
      // With prefetch 1, the good messages could not flow if the retry held the slot.
      for (let n = 0; n < 5; n++) assert.equal((await h.publish(queue, { n })).result, 'acked');
      const goodDoneAt = Date.now();
      assert.ok(goodDoneAt - firstFailAt < 600, `5 others handled during the 600 ms delay (took ${goodDoneAt - firstFailAt} ms)`);
      assert.equal((await h.nextOutcome(poison.messageId)).result, 'retried');
      const last = await h.nextOutcome(poison.messageId);
      assert.deepEqual(last.outcome, { action: 'dead-letter', reason: 'exhausted' });
      assert.equal(poisonCalls, 3);
      await waitFor('DLQ holds it', async () => (await admin.depth(`${queue}.dlq`)) === 1);
      const [dead, ...more] = await h.takeDeadLetters(queue);
      assert.equal(more.length, 0);
      const headers = dead?.properties.headers ?? {};
      assert.equal(headers[HEADER.reason], 'exhausted');
      assert.equal(headers[HEADER.error], 'RangeError');
      assert.equal(headers[HEADER.errorMessage], 'amount out of range');
      assert.equal(headers[HEADER.attempt], 3);
      assert.equal(headers[HEADER.consumer], 'Poisoned');
      assert.equal(headers[HEADER.queue], queue);
      assert.ok(!Number.isNaN(Date.parse(String(headers[HEADER.deadLetteredAt]))));
      assert.ok(!Number.isNaN(Date.parse(String(headers[HEADER.firstFailureAt]))));
      assert.equal(headers[HEADER.originalRoutingKey], queue);
      assert.ok(!JSON.stringify(headers).includes('    at '), 'no stack trace in headers');
      assert.equal(dead?.properties.messageId, poison.messageId);
      const counts = await queueCounts(queue);
      assert.deepEqual([counts.ready, counts.unacked], [0, 0]);
    } finally {
      await h.stop();
    }
  });

  it('Reject dead-letters at once; RetryLater uses its own delay', async () => {
    const queue = uniqueName('reject');
    admin.trackQueue(queue);
    const calls: Array<{ kind: string; at: number }> = [];
    @Consumer({ queue, retry: { attempts: 5, delayMs: 5000 } })
    class Decides extends Worker<{ kind: string }> {
      async handle(m: { kind: string }, ctx: MessageContext): Promise<void> {
        calls.push({ kind: m.kind, at: Date.now() });
        if (m.kind === 'reject') throw new Reject('order is for a closed account');
        if (m.kind === 'later' && ctx.attempt === 1) throw new RetryLater('downstream busy', { delayMs: 150 });
      }
    }
    const h = await TestHarness.start({ consumers: [Decides] });
    try {
      const r = await h.publish(queue, { kind: 'reject' });
      assert.deepEqual(r.outcome, { action: 'dead-letter', reason: 'rejected' });
      const l = await h.publish(queue, { kind: 'later' });
      assert.deepEqual(l.outcome, { action: 'retry', delayMs: 150 });
      assert.equal((await h.nextOutcome(l.messageId, 3000)).result, 'acked');
      const later = calls.filter((c) => c.kind === 'later');
      assert.ok((later[1]?.at ?? 0) - (later[0]?.at ?? 0) >= 150);
      assert.equal(calls.filter((c) => c.kind === 'reject').length, 1);
      const [dead] = await h.takeDeadLetters(queue);
      assert.equal(dead?.properties.headers?.[HEADER.reason], 'rejected');
      assert.equal(dead?.properties.headers?.[HEADER.error], 'Reject');
      await admin.channel.deleteQueue(`${queue}.retry.150`);
    } finally {
      await h.stop();
    }
  });
});
