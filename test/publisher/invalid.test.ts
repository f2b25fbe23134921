import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPublisher, DEFAULT_MAX_MESSAGE_BYTES, InvalidPublishError, type Publisher } from '@warren/core';
import { BrokerAdmin, uniqueName } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';
import { brokerFrameMax, drainIds, frameMaxProxy, MiB, OutcomeLog } from './helpers.js';

test('the default body limit is RabbitMQ 4.0’s max_message_size, 16 MiB', () => {
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 16 * MiB);
});

/** Whether `p` had settled by the time publish() returned: proves the check ran in publish() itself, before the message could be buffered or written. */
async function settledAtOnce(p: Promise<void>): Promise<boolean> {
  // Race `p` itself: a settled promise wins over the resolved marker that follows it.
  const pending = Symbol('pending');
  return Promise.race([p, Promise.resolve(pending)]).then(
    (first) => first !== pending,
    () => true,
  );
}

test('bad publishes among 500 good ones in flight: each rejects at once with InvalidPublishError, every good one is confirmed, the channel never closes', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.invalid.mixed');
  admin.trackQueue(queue);
  let publisher: Publisher | undefined;
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    publisher = await createPublisher({ urls: BROKER_URL, appName: queue, maxInFlight: 100 });
    const p = publisher;
    const closures: string[] = [];
    p.events.on('channelClosed', (error, unconfirmed) =>
      closures.push(`${error?.message ?? 'connection lost'} (${unconfirmed} unconfirmed)`),
    );
    const overLimit = Buffer.alloc(16 * MiB + 1);
    // [what, the option the error must name, the publish]
    const bad: Array<[string, RegExp, () => Promise<void>]> = [
      ['expiration -1', /expiration/, () => p.send(queue, { bad: 1 }, { expiration: -1 })],
      ['expiration 1.5', /expiration/, () => p.send(queue, { bad: 2 }, { expiration: 1.5 })],
      ['expiration NaN', /expiration/, () => p.send(queue, { bad: 3 }, { expiration: Number.NaN })],
      ["expiration ''", /expiration/, () => p.send(queue, { bad: 4 }, { expiration: '' })],
      ['timeoutMs NaN', /timeoutMs/, () => p.send(queue, { bad: 5 }, { timeoutMs: Number.NaN })],
      ['priority 256', /priority/, () => p.send(queue, { bad: 6 }, { priority: 256 })],
      ['headers of 70 KiB', /headers/, () => p.send(queue, { bad: 7 }, { headers: { big: 'x'.repeat(70 * 1024) } })],
      ['header value BigInt', /headers\.n/, () => p.send(queue, { bad: 8 }, { headers: { n: 10n } })],
      ['header value Infinity', /headers\.ratio/, () => p.send(queue, { bad: 9 }, { headers: { ratio: Number.POSITIVE_INFINITY } })],
      ['body of 16 MiB + 1', /body/, () => p.send(queue, overLimit)],
      ['exchange name of 256 bytes', /exchange/, () => p.publish('e'.repeat(256), queue, { bad: 11 })],
      ['routing key of 256 bytes', /routing key/, () => p.publish('', 'r'.repeat(256), { bad: 12 })],
    ];
    const log = new OutcomeLog();
    const badOutcomes: Array<Promise<string>> = [];
    const inFlightAtBad: number[] = [];
    let next = 0;
    for (let i = 0; i < 500; i++) {
      log.track(`g${i}`, p.send(queue, { i }, { messageId: `g${i}` }));
      // One bad publish after every 40 good ones (from the 20th), each while good ones are in flight.
      if (i % 40 === 20 && next < bad.length) {
        const [what, option, publish] = bad[next++] as (typeof bad)[number];
        inFlightAtBad.push(p.stats().inFlight);
        const published = publish();
        const atOnce = await settledAtOnce(published);
        badOutcomes.push(
          published.then(
            () => `WRONG ${what}: confirmed`,
            (error: Error) =>
              `${atOnce && error instanceof InvalidPublishError && option.test(error.message) ? 'ok' : 'WRONG'} ${what}: ${atOnce ? 'at once' : 'pending at return, later'} ${error.name}: ${error.message}`,
          ),
        );
      }
    }
    await log.all(60_000);
    const badResults = await Promise.all(badOutcomes);
    const ids = await drainIds(admin, queue);
    const stats = p.stats();
    console.log(`bad publishes:\n  ${badResults.join('\n  ')}`);
    console.log(
      `good: ${JSON.stringify(log.summary())}; queue ${ids.length} (distinct ${new Set(ids).size}); published ${stats.published} confirmed ${stats.confirmed}; in flight at each bad publish ${inFlightAtBad.join(',')}; channel closures: ${JSON.stringify(closures)}`,
    );
    assert.equal(next, bad.length);
    assert.ok(
      badResults.every((r) => r.startsWith('ok ')),
      'every bad publish rejects at once with InvalidPublishError naming its option',
    );
    assert.ok(
      inFlightAtBad.every((n) => n > 0),
      'good publishes were in flight at every bad one',
    );
    assert.deepEqual(closures, []);
    assert.equal(log.resolved.size, 500);
    assert.equal(stats.published, 500);
    assert.equal(stats.confirmed, 500);
    assert.deepEqual([...ids].sort(), [...log.resolved].sort());
    assert.equal(p.state, 'ready');
  } finally {
    await publisher?.close();
    await admin.cleanup();
  }
});

test('headers over a lowered frame_max: rejected at once (the broker would close the connection), the rest confirmed', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.invalid.framemax');
  admin.trackQueue(queue);
  const proxy = await frameMaxProxy(8192);
  let publisher: Publisher | undefined;
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    publisher = await createPublisher({ urls: proxy.url, appName: queue, maxInFlight: 100 });
    const p = publisher;
    assert.equal(await brokerFrameMax(`${queue}:`), 8192, 'the broker enforces the lowered frame_max on this connection');
    const closures: string[] = [];
    p.events.on('channelClosed', (error, unconfirmed) =>
      closures.push(`${error?.message ?? 'connection lost'} (${unconfirmed} unconfirmed)`),
    );
    const log = new OutcomeLog();
    for (let i = 0; i < 100; i++) log.track(`a${i}`, p.send(queue, { i }, { messageId: `a${i}` }));
    // Under 64 KiB, so amqplib would encode and write it; over 8192, so the broker would close the connection (501 FRAME_ERROR).
    const tooLarge = p.send(queue, { big: true }, { messageId: 'big', headers: { trace: 'x'.repeat(10_000) } });
    const atOnce = await settledAtOnce(tooLarge);
    const error = await tooLarge.then(
      () => undefined,
      (e: unknown) => e,
    );
    log.track('fits', p.send(queue, { fits: true }, { messageId: 'fits', headers: { trace: 'x'.repeat(8000) } }));
    for (let i = 0; i < 100; i++) log.track(`b${i}`, p.send(queue, { i }, { messageId: `b${i}` }));
    await log.all(30_000);
    const ids = await drainIds(admin, queue);
    console.log(
      `frame_max 8192: 10 kB headers ${atOnce ? 'at once' : 'pending at return, later'} ${String(error)}; others ${JSON.stringify(log.summary())}; queue ${ids.length}; channel closures: ${JSON.stringify(closures)}`,
    );
    assert.ok(atOnce && error instanceof InvalidPublishError && /headers.*frame_max of 8192/.test(error.message), String(error));
    assert.equal(log.resolved.size, 201);
    assert.deepEqual([...ids].sort(), [...log.resolved].sort());
    assert.deepEqual(closures, []);
    assert.equal(p.state, 'ready');
  } finally {
    await publisher?.close();
    await proxy.close();
    await admin.cleanup();
  }
});
