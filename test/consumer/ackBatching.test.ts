import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, deadLetterQueueName, Reject, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

const MESSAGES = 600;
/** Every 50th is rejected: dead-lettered (a confirmed copy, then an ack), between plain acks. */
const rejected = (n: number): boolean => n % 50 === 0;

/**
 * Handlers that finish out of order, with dead-letter copies between plain acks: no ack may cover
 * a delivery still running (its own ack would then name an unknown tag, and the broker would close
 * the channel, 406, and redeliver everything unacked on it). ChannelAcks can write a `multiple`
 * ack below the lowest unsettled tag; this holds it to that rule at the broker, with exact counts.
 */
describe('acks of out-of-order handlers', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('out-of-order handlers: each message handled once, every ack reaches the broker, the channel never closes', async () => {
    const queue = uniqueName('ackbatch');
    admin.trackQueue(queue, deadLetterQueueName(queue));
    const calls = new Map<number, number>();
    let redelivered = 0;
    @Consumer({ queue, prefetch: 50 })
    class Shuffled extends Worker<{ n: number }> {
      async handle(msg: { n: number }, ctx: { redelivered: boolean }): Promise<void> {
        calls.set(msg.n, (calls.get(msg.n) ?? 0) + 1);
        if (ctx.redelivered) redelivered++;
        // 0..6 ms, so neighbours finish in another order than they arrived.
        const wait = msg.n % 7;
        if (wait > 0) await sleep(wait);
        if (rejected(msg.n)) throw new Reject(`order ${msg.n} is invalid`);
      }
    }
    const app = await startTestApp({ consumers: [Shuffled] });
    const expectedRejects = Array.from({ length: MESSAGES }, (_, i) => i + 1).filter(rejected).length;
    try {
      await admin.sendMany(
        queue,
        Array.from({ length: MESSAGES }, (_, i) => ({ n: i + 1 })),
      );
      await waitFor('every message settled', () => {
        const s = app.consumers[0]?.stats();
        return (s?.acked ?? 0) + (s?.deadLettered ?? 0) === MESSAGES;
      });
      // The last acks of a burst go out at the end of their turn: the broker sees them all.
      await waitFor('nothing unacked at the broker', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
      const stats = app.consumers[0]?.stats();
      assert.equal(calls.size, MESSAGES, 'every message was handled');
      assert.deepEqual(
        [...calls.entries()].filter(([, n]) => n !== 1),
        [],
        'no message was handled twice',
      );
      assert.equal(redelivered, 0, 'no redelivery: no ack was lost or refused');
      assert.equal(stats?.channelOpens, 1, 'the channel was never closed by a 406 (an ack of an unknown tag)');
      assert.equal(stats?.deadLettered, expectedRejects);
      assert.equal(stats?.acked, MESSAGES - expectedRejects);
      assert.equal(await admin.depth(deadLetterQueueName(queue)), expectedRejects);
    } finally {
      await app.stop();
    }
  });

  it('acks decided just before stop reach the broker before the channel closes', async () => {
    const queue = uniqueName('ackstop');
    admin.trackQueue(queue, deadLetterQueueName(queue));
    let handled = 0;
    @Consumer({ queue, prefetch: 100 })
    class Quick extends Worker<{ n: number }> {
      async handle(): Promise<void> {
        handled++;
      }
    }
    const app = await startTestApp({ consumers: [Quick] });
    await admin.sendMany(
      queue,
      Array.from({ length: 300 }, (_, i) => ({ n: i })),
    );
    await waitFor('some handled', () => handled > 0);
    await app.stop();
    const c = await queueCounts(queue);
    assert.equal(c.unacked, 0);
    assert.equal(c.ready, 300 - handled, `the queue lost exactly the ${handled} handled messages`);
  });
});
