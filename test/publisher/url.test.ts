import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  ConnectionManager,
  Consumer,
  createPublisher,
  defineApp,
  Publisher,
  silentLogger,
  WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, Tally, uniqueName } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';

test('createPublisher({ url }) publishes with confirms, and an app run with { url } handles every message once', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('url.one');
  admin.trackQueue(queue);
  const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
  const tally = new Tally();
  let allHandled: () => void = () => undefined;
  const handled = new Promise<void>((resolve) => {
    allHandled = resolve;
  });

  @Consumer({ queue, prefetch: 50 })
  class UrlWorker extends Worker<{ id: string }> {
    async handle(msg: { id: string }): Promise<void> {
      tally.add(msg.id);
      if (tally.seen.size === ids.length) allHandled();
    }
  }

  const app = await WarrenApp.create(defineApp({ name: queue, consumers: [UrlWorker] }), { url: BROKER_URL, logger: silentLogger() });
  const publisher = await createPublisher({ url: BROKER_URL, appName: queue });
  try {
    await app.start();
    await Promise.all(ids.map((id) => publisher.send(queue, { id }, { messageId: id })));
    const stats = publisher.stats();
    assert.equal(stats.confirmed, ids.length, 'every publish confirmed');
    assert.equal(stats.nacked + stats.unconfirmed + stats.timedOut, 0);
    await handled;
    const report = await app.stop();
    assert.equal(report.clean, true);
    assert.deepEqual(tally.missing(ids), []);
    assert.equal(tally.duplicates(), 0);
    assert.equal(tally.total, ids.length);
    assert.equal(await admin.depth(queue), 0);
  } finally {
    await publisher.close();
    await app.stop();
    await admin.cleanup();
  }
});

test('url and urls together, or a malformed url, fail before any connection, naming the option', async () => {
  const both = /give option "url" \(one broker\) or option "urls" \(several\), not both/;
  assert.throws(
    () => new Publisher({ url: BROKER_URL, urls: [BROKER_URL] }),
    (e) => e instanceof ConfigError && both.test(e.message),
  );
  assert.throws(() => new ConnectionManager({ url: BROKER_URL, urls: BROKER_URL, role: 'admin' }), both);
  @Consumer({ queue: uniqueName('url.never') })
  class NeverWorker extends Worker<unknown> {
    async handle(): Promise<void> {}
  }
  const definition = defineApp({ consumers: [NeverWorker] });
  await assert.rejects(WarrenApp.create(definition, { url: BROKER_URL, urls: [BROKER_URL], logger: silentLogger() }), both);
  await assert.rejects(
    WarrenApp.create(definition, { url: 'amqp//guest:s3cret@127.0.0.1', logger: silentLogger() }),
    (e: unknown) =>
      e instanceof ConfigError && e.code === 'WARREN_ERR_BAD_URL' && /^option "url": /.test(e.message) && !e.message.includes('s3cret'),
  );
  const shared = new ConnectionManager({ url: BROKER_URL, role: 'publish' });
  assert.throws(() => new Publisher({ connection: shared, url: BROKER_URL }), /give "connection" or "url"\/"urls"(\/"tls")?, not both/);
});
