import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, HEADER, Reject, Worker } from '@warren/core';
import { BrokerAdmin, TestHarness, uniqueName, waitFor } from '@warren/testing';

describe('topology deleted under a running consumer', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a deleted DLQ is declared again and the dead letter lands in it; nothing is confirmed into the void', async () => {
    const queue = uniqueName('dlqgone');
    admin.trackQueue(queue);
    let calls = 0;
    @Consumer({ queue })
    class Rejecting extends Worker<{ id: string }> {
      async handle(m: { id: string }): Promise<void> {
        calls++;
        throw new Reject(`no ${m.id}`);
      }
    }
    const h = await TestHarness.start({ consumers: [Rejecting] });
    try {
      await admin.channel.deleteQueue(`${queue}.dlq`);
      const first = await h.publish(queue, { id: 'lost?' });
      // The copy to the missing DLQ was returned (mandatory): the message went back, not away.
      assert.equal(first.result, 'requeued');
      await waitFor(
        'dead-lettered into the re-declared DLQ',
        async () => (await admin.queueExists(`${queue}.dlq`)) && (await admin.depth(`${queue}.dlq`)) === 1,
        20_000,
      );
      const [dead] = await h.takeDeadLetters(queue);
      assert.equal(dead?.properties.headers?.[HEADER.reason], 'rejected');
      assert.equal(calls, 2, 'handled again after it came back');
    } finally {
      await h.stop();
    }
  });
});
