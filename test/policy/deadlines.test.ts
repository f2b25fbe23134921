/**
 * Deadlines that travel: what a handler publishes carries the deadline of the message it
 * handles, and the broker's expiration from it; a message whose deadline passed is never run.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Consumer,
  DEADLINE_HEADER,
  DeadlineExceededError,
  deadLetterQueueName,
  HEADER,
  type MessageContext,
  Publisher,
  Worker,
} from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { startTestApp } from '../support/app.js';

type Job = { id: string; ownDeadlineInMs?: number; waitMs?: number };

describe('deadlines that travel', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it("a handler's publishes carry its message's deadline (or their own, if sooner) and the broker's expiration", async () => {
    const first = uniqueName('travel-a');
    const next = uniqueName('travel-b');
    admin.trackQueue(first, next);
    await admin.channel.assertQueue(next, { durable: true });
    const failures: unknown[] = [];
    @Consumer({ queue: first })
    class Forwarder extends Worker<Job> {
      constructor(@inject(Publisher) private readonly publisher: Publisher) {
        super();
      }
      async handle(job: Job): Promise<void> {
        if (job.waitMs !== undefined) await new Promise((r) => setTimeout(r, job.waitMs));
        const headers = job.ownDeadlineInMs === undefined ? undefined : { [DEADLINE_HEADER]: Date.now() + job.ownDeadlineInMs };
        try {
          await this.publisher.send(next, job, { headers });
        } catch (error) {
          failures.push(error);
        }
      }
    }
    const app = await startTestApp({ consumers: [Forwarder] });
    try {
      const deadline = Date.now() + 5000;
      const sentAt = Date.now();
      await admin.sendMany(first, [{ id: 'with' }, { id: 'sooner', ownDeadlineInMs: 1000 }], {
        contentType: 'application/json',
        headers: { [DEADLINE_HEADER]: deadline },
      });
      await admin.sendMany(first, [{ id: 'without' }]);
      // A deadline of 300 ms and a handler that takes 600: by the time it publishes, its caller gave up.
      await admin.sendMany(first, [{ id: 'late', waitMs: 600 }], {
        contentType: 'application/json',
        headers: { [DEADLINE_HEADER]: Date.now() + 300 },
      });
      await waitFor('three forwarded', async () => (await admin.depth(next)) === 3);
      await waitFor('the late one refused', () => failures.length === 1);
      const got = new Map((await admin.drain(next)).map((m) => [(JSON.parse(m.content.toString()) as Job).id, m]));
      const withIt = got.get('with');
      assert.equal(withIt?.properties.headers?.[HEADER.deadline], deadline, "the caller's deadline travels");
      const expiration = Number(withIt?.properties.expiration);
      assert.ok(expiration > 0 && expiration <= deadline - sentAt, `expiration ${expiration} ms is what remained`);
      const sooner = got.get('sooner');
      assert.ok(Number(sooner?.properties.headers?.[HEADER.deadline]) < deadline, "the publish's own, sooner deadline wins");
      assert.ok(Number(sooner?.properties.expiration) <= 1000);
      const without = got.get('without');
      assert.equal(without?.properties.headers?.[HEADER.deadline], undefined, 'no deadline, none added');
      assert.equal(without?.properties.expiration, undefined);
      assert.ok(failures[0] instanceof DeadlineExceededError, String(failures[0]));
      assert.equal(got.has('late'), false, 'nothing published for a caller that gave up');
    } finally {
      await app.stop();
    }
  });

  it('a message whose deadline passed while it was queued is never handled: dead-lettered as expired', async () => {
    const queue = uniqueName('travel-expired');
    admin.trackQueue(queue);
    const handled = new Tally();
    @Consumer({ queue })
    class Late extends Worker<Job> {
      async handle(job: Job, _ctx: MessageContext): Promise<void> {
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Late] });
    try {
      await app.consumers[0]?.pause();
      const deadline = Date.now() + 300;
      await admin.sendMany(
        queue,
        Array.from({ length: 20 }, (_, i) => ({ id: `e${i}` })),
        { contentType: 'application/json', headers: { [DEADLINE_HEADER]: deadline } },
      );
      await admin.sendMany(queue, [{ id: 'fresh' }]);
      await waitFor('the deadline passed', () => Date.now() > deadline + 50);
      await app.consumers[0]?.resume();
      await waitFor('all settled', async () => (await admin.depth(deadLetterQueueName(queue))) === 20 && handled.seen.has('fresh'));
      assert.deepEqual([...handled.seen.keys()], ['fresh'], 'no expired message reached the handler');
      const dead = await admin.drain(deadLetterQueueName(queue));
      assert.ok(dead.every((m) => m.properties.headers?.[HEADER.reason] === 'expired'));
      const policies = app.consumers[0]?.describe().policies as Array<{ name: string; expired?: number }>;
      assert.equal(policies.find((p) => p.name === 'deadline')?.expired, 20, 'counted');
    } finally {
      await app.stop();
    }
  });
});
