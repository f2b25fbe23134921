import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerAdmin } from '@warren/testing';
import { fixtureNames, json, warren } from '../support/operator.js';

describe('warren status', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('status: ready, unacked, consumers, net rate, retrying (configured and ladder delay queues) and DLQ depth, as the broker has them', async () => {
    const { q, quorum, downstream } = fixtureNames(admin, 'ops.status');
    assert.equal((await warren(q, 'topology', ['--apply'])).code, 4, 'all but the downstream queue, which is not the app’s');
    await admin.sendMany(
      q,
      Array.from({ length: 10 }, (_, i) => ({ id: `m${i}` })),
    );
    // A consumer that holds 3 unacked: what only rabbitmqctl can count.
    const holder = await admin.connection.createChannel();
    await holder.prefetch(3);
    let got = 0;
    await new Promise<void>((resolve) => {
      void holder.consume(q, () => {
        if (++got === 3) resolve();
      });
    });
    await admin.sendMany(`${q}.dlq`, [{ id: 'd1' }, { id: 'd2' }]);
    await admin.sendMany(`${q}.retry.60000`, [{ id: 'r1' }]);
    // A RetryLater ladder step, declared on first use as Warren does: not in the plan, still counted.
    await admin.channel.assertQueue(`${q}.retry.30000`, {
      durable: true,
      arguments: { 'x-message-ttl': 30_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q },
    });
    await admin.sendMany(`${q}.retry.30000`, [{ id: 'r2' }, { id: 'r3' }, { id: 'r4' }, { id: 'r5' }]);

    try {
      const out = await warren(q, 'status', ['--json']);
      assert.equal(out.code, 0, out.stderr);
      const status = json<{ sampledOverMs: number; unackedFrom: string | null; queues: Array<Record<string, unknown>>; notes: string[] }>(
        out,
      );
      assert.equal(status.sampledOverMs, 1000);
      assert.equal(status.unackedFrom, 'rabbitmqctl');
      const pick = ['queue', 'exists', 'ready', 'unacked', 'consumers', 'readyPerSec', 'retrying', 'deadLetters'];
      assert.deepEqual(
        status.queues.map((r) => pick.map((k) => r[k])),
        [
          [q, true, 7, 3, 1, 0, 5, 2],
          [quorum, true, 0, 0, 0, 0, null, 0],
          [downstream, false, null, null, null, null, null, null],
        ],
      );
      assert.match(status.notes.join('\n'), /ready\/s: the net change of ready messages over 1000 ms/);

      const human = await warren(q, 'status', ['--sample', '0']);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`${q} +7 +3 +1 +- +5 +2\\n`));
      assert.match(human.stdout, new RegExp(`${downstream} \\(limits\\) +missing`));
    } finally {
      await holder.close();
    }
  });
});
