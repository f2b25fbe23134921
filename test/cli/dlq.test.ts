import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, HEADER, Reject, type WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { spawnWarren } from '../support/cli.js';

/** A consumer that rejects everything while `rejecting` is set, then accepts. */
function rejectingWorker(queue: string, state: { rejecting: boolean; handled: Tally }) {
  @Consumer({ queue, prefetch: 10 })
  class Picky extends Worker<{ id: string }> {
    async handle(m: { id: string }): Promise<void> {
      if (state.rejecting) throw new Reject(`cannot take ${m.id} yet`);
      state.handled.add(m.id);
    }
  }
  return Picky;
}

describe('warren dlq', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('list counts and shows reasons without moving anything; replay moves N back and they are handled; purge needs --yes', async () => {
    const queue = uniqueName('dlqcli');
    admin.trackQueue(queue);
    const state = { rejecting: true, handled: new Tally() };
    let app: WarrenApp = await startTestApp({ consumers: [rejectingWorker(queue, state)] });
    const ids = Array.from({ length: 30 }, (_, i) => `d${i}`);
    await admin.sendMany(
      queue,
      ids.map((id) => ({ id })),
    );
    await waitFor('30 dead letters', async () => (await admin.depth(`${queue}.dlq`)) === 30);
    await app.stop();

    const list = await spawnWarren(['dlq', 'list', queue, '--last', '3', '--json']).exited;
    assert.equal(list.code, 0, list.stderr);
    const summary = JSON.parse(list.stdout) as { count: number; recent: Array<{ reason: string; errorMessage: string; attempt: number }> };
    assert.equal(summary.count, 30);
    assert.equal(summary.recent.length, 3);
    assert.deepEqual(
      summary.recent.map((r) => [r.reason, r.errorMessage, r.attempt]),
      ['d27', 'd28', 'd29'].map((id) => ['rejected', `cannot take ${id} yet`, 1]),
    );
    assert.equal(await admin.depth(`${queue}.dlq`), 30, 'list moved nothing');
    const human = await spawnWarren(['dlq', 'list', queue]).exited;
    assert.match(human.stdout, new RegExp(`${queue.replace(/\./g, '\\.')}\\.dlq: 30 message\\(s\\)`));
    assert.match(human.stdout, /rejected after 1 attempt\(s\) Reject: cannot take d29 yet/);

    const replay = await spawnWarren(['dlq', 'replay', queue, '--limit', '10']).exited;
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /moved 10 message\(s\) back/);
    assert.equal(await admin.depth(`${queue}.dlq`), 20);
    assert.equal(await admin.depth(queue), 10);
    const peek = await admin.channel.get(queue, { noAck: false });
    assert.ok(peek !== false);
    assert.equal(peek.properties.headers?.[HEADER.attempt], undefined, 'attempt count reset');
    assert.equal(peek.properties.headers?.[HEADER.reason], undefined);
    assert.ok(peek.properties.headers?.[HEADER.replayedAt] !== undefined);
    admin.channel.nack(peek, false, true);

    state.rejecting = false;
    app = await startTestApp({ consumers: [rejectingWorker(queue, state)] });
    try {
      await waitFor('the 10 replayed handled', () => state.handled.seen.size === 10);
      assert.deepEqual([...state.handled.seen.keys()].sort(), ids.slice(0, 10).sort());
    } finally {
      await app.stop();
    }

    const refused = await spawnWarren(['dlq', 'purge', queue]).exited;
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    assert.equal(await admin.depth(`${queue}.dlq`), 20);
    const purge = await spawnWarren(['dlq', 'purge', queue, '--yes']).exited;
    assert.equal(purge.code, 0);
    assert.match(purge.stdout, /purged 20 message/);
    assert.equal(await admin.depth(`${queue}.dlq`), 0);
  });

  it('a replay to a work queue that no longer exists moves nothing and says so', async () => {
    const queue = uniqueName('dlqgone');
    admin.trackQueue(queue);
    await admin.channel.assertQueue(`${queue}.dlq`, { durable: true });
    await admin.sendMany(`${queue}.dlq`, [{ id: 'x1' }, { id: 'x2' }]);
    const r = await spawnWarren(['dlq', 'replay', queue]).exited;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^warren: .*(route|unroutable|NO_ROUTE)/i);
    assert.equal(await admin.depth(`${queue}.dlq`), 2, 'both still in the DLQ');
  });

  it('a replay killed mid-way loses nothing: every id is in the DLQ or the work queue', async () => {
    const queue = uniqueName('dlqkill');
    admin.trackQueue(queue);
    const state = { rejecting: true, handled: new Tally() };
    const app = await startTestApp({ consumers: [rejectingWorker(queue, state)] });
    const ids = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await admin.sendMany(
      queue,
      ids.map((id) => ({ id })),
    );
    await waitFor('200 dead letters', async () => (await admin.depth(`${queue}.dlq`)) === 200);
    await app.stop();

    const { child, exited } = spawnWarren(['dlq', 'replay', queue, '--rate', '100']);
    await waitFor('replay under way', async () => (await admin.depth(queue)) >= 20, 15_000, 50);
    child.kill('SIGKILL');
    const r = await exited;
    assert.equal(r.signal, 'SIGKILL');
    const found = new Tally();
    for (const q of [queue, `${queue}.dlq`]) {
      for (const m of await admin.drain(q)) found.add((JSON.parse(m.content.toString()) as { id: string }).id);
    }
    assert.deepEqual(found.missing(ids), [], 'none lost');
    assert.ok(found.duplicates() <= 1, `at most the one in hand is in both (got ${found.duplicates()})`);
    console.log(`# dlq replay killed: ${found.total} copies of ${ids.length} ids, duplicates ${found.duplicates()}`);
  });
});
