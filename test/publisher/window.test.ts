import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPublisher, InvalidPublishError, type Publisher } from '@warren/core';
import { BrokerAdmin, uniqueName } from '@warren/testing';
import type * as amqp from 'amqplib';
import { BROKER_URL } from '../support/broker.js';

type Publish = amqp.ConfirmChannel['publish'];

test('10,000 publishes with maxInFlight 100: all confirmed, queue holds exactly 10,000, never more than 100 unconfirmed', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.window');
  admin.trackQueue(queue);
  let publisher: Publisher | undefined;
  // Independent observation: amqplib's own unconfirmed list on every channel write.
  const proto = Object.getPrototypeOf(admin.channel) as { publish: Publish };
  const original = proto.publish;
  let amqplibMaxUnconfirmed = 0;
  let sampledMax = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    proto.publish = function (this: amqp.ConfirmChannel, ...args: Parameters<Publish>): boolean {
      const flushed = original.apply(this, args);
      if (this !== admin.channel) {
        let open = 0;
        for (const slot of (this as unknown as { unconfirmed: unknown[] }).unconfirmed) if (slot !== null) open++;
        if (open > amqplibMaxUnconfirmed) amqplibMaxUnconfirmed = open;
      }
      return flushed;
    } as Publish;
    publisher = await createPublisher({ urls: BROKER_URL, appName: `${queue}`, maxInFlight: 100 });
    const p = publisher;
    sampler = setInterval(() => {
      sampledMax = Math.max(sampledMax, p.stats().inFlight);
    }, 1);
    const body = Buffer.alloc(256, 7);
    const started = Date.now();
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 10_000; i++) all.push(publisher.send(queue, body, { messageId: String(i) }));
    const results = await Promise.allSettled(all);
    const ms = Date.now() - started;
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `rejections: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason))}`);
    const stats = publisher.stats();
    const depth = await admin.depth(queue);
    console.log(
      `window: 10000 confirmed in ${ms} ms; queue depth ${depth}; maxInFlightSeen ${stats.maxInFlightSeen}; sampled inFlight max ${sampledMax}; amqplib unconfirmed max ${amqplibMaxUnconfirmed}; published ${stats.published} confirmed ${stats.confirmed}`,
    );
    assert.equal(depth, 10_000);
    assert.equal(stats.confirmed, 10_000);
    assert.equal(stats.published, 10_000);
    assert.ok(stats.maxInFlightSeen <= 100 && stats.maxInFlightSeen >= 50, `maxInFlightSeen ${stats.maxInFlightSeen}`);
    assert.ok(sampledMax <= 100, `sampled ${sampledMax}`);
    assert.ok(amqplibMaxUnconfirmed <= 100 && amqplibMaxUnconfirmed > 0, `amqplib saw ${amqplibMaxUnconfirmed}`);
  } finally {
    clearInterval(sampler);
    proto.publish = original;
    await publisher?.close();
    await admin.cleanup();
  }
});

test('serialisation: JSON, text and bytes; persistent, messageId and timestamp set when absent', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.serialize');
  admin.trackQueue(queue);
  const publisher = await createPublisher({ urls: BROKER_URL, appName: queue });
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    const before = Math.floor(Date.now() / 1000);
    await publisher.send(queue, { order: 1 }, { headers: { 'x-tenant': 'a' } });
    await publisher.send(queue, 'plain text');
    await publisher.send(queue, Buffer.from([0xde, 0xad]), { messageId: 'mine', persistent: false, contentType: 'application/x-raw' });
    const [json, text, raw] = await admin.drain(queue);
    assert.ok(json !== undefined && text !== undefined && raw !== undefined);
    assert.deepEqual(JSON.parse(json.content.toString()), { order: 1 });
    assert.equal(json.properties.contentType, 'application/json');
    assert.equal(json.properties.deliveryMode, 2);
    assert.match(String(json.properties.messageId), /^[0-9a-f-]{36}$/);
    assert.ok(Number(json.properties.timestamp) >= before && Number(json.properties.timestamp) <= before + 5);
    assert.equal(json.properties.headers?.['x-tenant'], 'a');
    assert.equal(text.content.toString(), 'plain text');
    assert.equal(text.properties.contentType, 'text/plain');
    assert.deepEqual([...raw.content], [0xde, 0xad]);
    assert.equal(raw.properties.messageId, 'mine');
    assert.equal(raw.properties.contentType, 'application/x-raw');
    assert.notEqual(raw.properties.deliveryMode, 2);
  } finally {
    await publisher.close();
    await admin.cleanup();
  }
});

test('oversized headers and bodies reject with InvalidPublishError and leave the channel working', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.invalid');
  admin.trackQueue(queue);
  const publisher = await createPublisher({ urls: BROKER_URL, appName: queue, maxMessageBytes: 1024 });
  let channelClosures = 0;
  publisher.events.on('channelClosed', () => channelClosures++);
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    const ok1 = publisher.send(queue, { n: 1 });
    await assert.rejects(publisher.send(queue, { n: 2 }, { headers: { big: 'x'.repeat(70 * 1024) } }), InvalidPublishError);
    await assert.rejects(publisher.send(queue, Buffer.alloc(1025)), InvalidPublishError);
    await assert.rejects(publisher.send(queue, undefined), InvalidPublishError);
    await ok1;
    await publisher.send(queue, { n: 3 });
    assert.equal(await admin.depth(queue), 2);
    assert.equal(channelClosures, 0);
    assert.equal(publisher.state, 'ready');
  } finally {
    await publisher.close();
    await admin.cleanup();
  }
});
