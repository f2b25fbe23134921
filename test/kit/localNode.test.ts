/**
 * The test kit's broker helpers ask the local node through erl_call where they can (localNode.ts
 * in @warren/testing): what they read and do must be what rabbitmqctl reads and does.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  BrokerAdmin,
  brokerEval,
  closeConnectionsNamed,
  listQueueCounts,
  queueCounts,
  rabbitmqctl,
  uniqueName,
  waitFor,
} from '@warren/testing';
import * as amqp from 'amqplib';

/** How many of the node's connections report client_properties as something other than a list. */
const HALF_OPEN =
  'length([C || C <- rabbit_networking:connections(), ' +
  'not is_list(proplists:get_value(client_properties, rabbit_networking:connection_info(C, [client_properties]), []))])';

/** A queue's counters as `rabbitmqctl list_queues` prints them. */
async function listed(queue: string): Promise<{ ready: number; unacked: number; consumers: number } | undefined> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--no-table-headers');
  const row = out.split('\n').find((l) => l.trim().split(/\s+/)[0] === queue);
  if (row === undefined) return undefined;
  const [, ready, unacked, consumers] = row.trim().split(/\s+/).map(Number);
  return { ready: ready as number, unacked: unacked as number, consumers: consumers as number };
}

describe('the kit reads and drives the local broker as rabbitmqctl does', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('queueCounts and listQueueCounts: the counters list_queues prints, for classic and quorum queues', async () => {
    const name = uniqueName('kit');
    const queues = [`${name}.classic`, `${name}.quorum`];
    admin.trackQueue(...queues);
    const consumer = await amqp.connect(admin.url);
    try {
      await admin.channel.assertQueue(queues[0] as string, { durable: true });
      await admin.channel.assertQueue(queues[1] as string, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      const held: amqp.ConsumeMessage[] = [];
      for (const queue of queues) {
        await admin.sendMany(
          queue,
          Array.from({ length: 7 }, (_, i) => ({ i })),
        );
        const ch = await consumer.createChannel();
        await ch.prefetch(3);
        await ch.consume(queue, (m) => void (m !== null && held.push(m)));
      }
      await waitFor('3 of each held', () => held.length === 6);
      for (const queue of queues) {
        // Quorum counters reach the node on the queue's tick: both read the same, once it has come.
        await waitFor(`${queue} counted`, async () => (await queueCounts(queue)).unacked === 3, 15_000);
        assert.deepEqual(await queueCounts(queue), { ready: 4, unacked: 3, consumers: 1 });
        assert.deepEqual(await listed(queue), { ready: 4, unacked: 3, consumers: 1 });
        assert.deepEqual((await listQueueCounts()).get(queue), { ready: 4, unacked: 3, consumers: 1 });
      }
      await assert.rejects(queueCounts(`${name}.none`), new RegExp(`queue ${name}\\.none not found`));
      assert.equal((await listQueueCounts()).has(`${name}.none`), false);
    } finally {
      await consumer.close();
    }
  });

  it('closeConnectionsNamed closes those whose name starts with the prefix, and no other', async () => {
    const name = uniqueName('kitconn');
    const open = async (suffix: string) => amqp.connect(admin.url, { clientProperties: { connection_name: `${name}${suffix}` } });
    const [a, b, other] = [await open(':consume'), await open(':publish'), await open('x:consume')];
    const closed: string[] = [];
    for (const [label, c] of [
      ['a', a],
      ['b', b],
      ['other', other],
    ] as const) {
      c.on('error', () => undefined);
      c.on('close', () => closed.push(label));
    }
    try {
      assert.equal(await closeConnectionsNamed(`${name}:`), 2);
      await waitFor('both closed', () => closed.length === 2);
      assert.deepEqual(closed.sort(), ['a', 'b']);
      const listedNames = await rabbitmqctl('list_connections', 'client_properties');
      assert.ok(listedNames.includes(`${name}x:consume`), 'the other one is still there');
      assert.ok(!listedNames.includes(`${name}:consume`));
    } finally {
      await other.close().catch(() => undefined);
    }
  });

  it('closeConnectionsNamed passes over a connection still in its handshake (client_properties not yet a list)', async () => {
    // A clean-clone CI run went red here: a connection that had sent its protocol header but not
    // yet its start-ok reports client_properties as the atom none, and the name lookup threw.
    const name = uniqueName('kithalf');
    const broker = new URL(admin.url);
    const half = net.connect(Number(broker.port || 5672), broker.hostname);
    half.on('error', () => undefined);
    half.on('data', () => undefined);
    await once(half, 'connect');
    half.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    const named = await amqp.connect(admin.url, { clientProperties: { connection_name: `${name}:consume` } });
    named.on('error', () => undefined);
    const closed = once(named, 'close');
    try {
      await waitFor('the half-open connection listed', async () => Number(await rabbitmqctl('eval', `${HALF_OPEN}.`)) >= 1);
      assert.equal(await closeConnectionsNamed(`${name}:`), 1);
      await closed;
    } finally {
      half.destroy();
      await named.close().catch(() => undefined);
    }
  });

  it('brokerEval evaluates on the node rabbitmqctl speaks to', async () => {
    const key = uniqueName('kit_eval').replace(/\W/g, '_');
    try {
      await brokerEval(`application:set_env(rabbit, ${key}, 42)`);
      assert.match(await rabbitmqctl('eval', `application:get_env(rabbit, ${key}).`), /\{ok,\s*42\}/);
      await assert.rejects(brokerEval('erlang:error(on_purpose)'), /on_purpose/);
    } finally {
      await brokerEval(`application:unset_env(rabbit, ${key})`);
    }
  });
});
