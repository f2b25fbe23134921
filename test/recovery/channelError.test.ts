// @warren-test serial: changes the broker's consumer_timeout
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, type MessageContext, Worker } from '@warren/core';
import { BrokerAdmin, brokerEval, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('a channel closed by the broker', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('consumer_timeout closes the channel (406): Warren reopens it, logs the cause once, never acks the dead tag, and nothing is lost', async () => {
    const queue = uniqueName('ctimeout406');
    admin.trackQueue(queue);
    const handled = new Tally();
    let slowRuns = 0;
    let reopened = (): boolean => false;
    @Consumer({ queue, prefetch: 5 })
    class SometimesStuck extends Worker<{ id: string; slow?: boolean }> {
      async handle(m: { id: string; slow?: boolean }, ctx: MessageContext): Promise<void> {
        if (m.slow === true && !ctx.redelivered && ctx.attempt === 1) {
          slowRuns++;
          // Past the broker's 1 s delivery timeout: until it has closed the channel and Warren has
          // opened another, however late a busy broker gets to it, so this ack is for a dead tag.
          await waitFor('the channel closed by the broker and reopened', reopened, 15_000);
        }
        handled.add(m.id);
      }
    }
    const interruptions: string[] = [];
    // The broker reads consumer_timeout when a channel opens and checks it on the channel tick.
    await brokerEval('application:set_env(rabbit, consumer_timeout, 1000).');
    await brokerEval('application:set_env(rabbit, channel_tick_interval, 200).');
    let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
    try {
      app = await startTestApp({ consumers: [SometimesStuck] });
      app.events.on('consumerInterrupted', (_name, reason) => interruptions.push(reason));
      const consumer = app.consumers[0];
      assert.ok(consumer);
      reopened = () => consumer.stats().channelOpens >= 2;
      const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
      await admin.sendMany(queue, [{ id: 'stuck', slow: true }, ...ids.map((id) => ({ id }))]);
      await waitFor('the channel was closed and reopened', () => consumer.stats().channelOpens >= 2, 15_000);
      await brokerEval('application:set_env(rabbit, consumer_timeout, 1800000).');
      await brokerEval('application:set_env(rabbit, channel_tick_interval, 60000).');
      await waitFor('every id handled', () => handled.missing([...ids, 'stuck']).length === 0, 20_000);
      await waitFor('queue settled', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
      assert.equal(slowRuns, 1);
      assert.ok(consumer.stats().unsettleable >= 1, 'the late ack on the dead channel was skipped, not sent');
      assert.ok(
        interruptions.some((r) => /406|PRECONDITION|timed out|channel closed/i.test(r)),
        `cause reported: ${interruptions}`,
      );
      assert.ok(interruptions.length <= 3, `logged once per cause, not in a loop: ${interruptions}`);
      console.log(
        `# consumer_timeout 406: channelOpens ${consumer.stats().channelOpens}, handled ${handled.seen.size} distinct (${handled.duplicates()} duplicates), interruptions ${JSON.stringify(interruptions)}`,
      );
    } finally {
      await brokerEval('application:set_env(rabbit, consumer_timeout, 1800000).');
      await brokerEval('application:set_env(rabbit, channel_tick_interval, 60000).');
      await app?.stop();
    }
  });
});
