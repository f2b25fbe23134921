import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { createPublisher, type Publisher } from '@warren/core';
import { BrokerAdmin, uniqueName } from '@warren/testing';
import * as amqp from 'amqplib';
import { BROKER_URL } from '../support/broker.js';
import { drainIds } from './helpers.js';

const MESSAGES = 500;

type SocketWrites = Pick<net.Socket, '_write'> & { _writev?: net.Socket['_writev'] };

/**
 * Counts the system calls every socket of this process hands data to while `fn` runs: each
 * `_write` (one chunk) or `_writev` (the chunks a cork gathered) is one. Nothing else in this
 * test writes while it runs.
 */
async function countSocketWrites(fn: () => Promise<void>): Promise<number> {
  const proto = net.Socket.prototype as SocketWrites;
  const write = proto._write;
  const writev = proto._writev;
  let calls = 0;
  proto._write = function (this: net.Socket, ...args: Parameters<net.Socket['_write']>) {
    calls++;
    return write.apply(this, args);
  };
  proto._writev = function (this: net.Socket, ...args: Parameters<NonNullable<net.Socket['_writev']>>) {
    calls++;
    return writev?.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto._write = write;
    proto._writev = writev;
  }
  return calls;
}

const ids = (prefix: string): string[] => Array.from({ length: MESSAGES }, (_, i) => `${prefix}-${i}`);

test(`${MESSAGES} publishes of one turn: Warren hands them to the socket in a few writes, raw amqplib in one each; every message arrives once`, async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.coalesce');
  admin.trackQueue(queue);
  let publisher: Publisher | undefined;
  let raw: amqp.ChannelModel | undefined;
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    publisher = await createPublisher({ urls: BROKER_URL, appName: queue, maxInFlight: MESSAGES });
    const p = publisher;
    const warrenWrites = await countSocketWrites(async () => {
      await Promise.all(ids('w').map((id) => p.send(queue, { id }, { messageId: id })));
    });

    // The control: the same publishes on a confirm channel of plain amqplib, which writes each frame alone.
    raw = await amqp.connect(BROKER_URL, { noDelay: true });
    const ch = await raw.createConfirmChannel();
    const rawWrites = await countSocketWrites(async () => {
      for (const id of ids('r')) ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id })), { messageId: id });
      await ch.waitForConfirms();
    });
    console.log(`socket writes for ${MESSAGES} publishes: warren ${warrenWrites}, raw amqplib ${rawWrites}`);

    const seen = await drainIds(admin, queue);
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    const expected = [...ids('w'), ...ids('r')];
    assert.deepEqual(
      expected.filter((id) => counts.get(id) !== 1),
      [],
      'every id exactly once',
    );
    assert.equal(seen.length, expected.length, 'nothing more');
    assert.ok(rawWrites >= MESSAGES, `raw amqplib wrote ${rawWrites} times for ${MESSAGES} publishes`);
    assert.ok(warrenWrites <= MESSAGES / 10, `Warren wrote ${warrenWrites} times for ${MESSAGES} publishes`);
  } finally {
    await publisher?.close();
    await raw?.close().catch(() => undefined);
    await admin.cleanup();
  }
});
