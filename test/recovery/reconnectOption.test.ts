import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, type WarrenError, Worker } from '@warren/core';
import { BrokerAdmin, TcpProxy, uniqueName } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';

test('reconnect in AppRunOptions reaches both connections: maxAttempts 1 fails the app', { timeout: 30_000 }, async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('reconnect.max');
  admin.trackQueue(queue);
  const broker = new URL(BROKER_URL);
  const proxy = await TcpProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
  @Consumer({ queue })
  class IdleWorker extends Worker<unknown> {
    async handle(): Promise<void> {}
  }
  const app = await startTestApp(
    { consumers: [IdleWorker] },
    // No jitter, so the delay the connection schedules is exactly the one given here.
    { urls: proxy.url(BROKER_URL), reconnect: { maxAttempts: 1, initialDelayMs: 50, jitter: 0 } },
  );
  try {
    const scheduled: string[] = [];
    const failed: Array<Promise<[WarrenError]>> = [];
    for (const c of [app.connections.consume, app.connections.publish]) {
      c.events.on('reconnectScheduled', (attempt, delayMs) => scheduled.push(`${c.role}: attempt ${attempt} in ${delayMs} ms`));
      failed.push(c.events.once('fatal'));
    }
    const appFailed = app.events.once('fatal');

    await proxy.refuse(); // cut every connection and refuse new ones: the broker is gone
    const errors = (await Promise.all(failed)).map(([e]) => e);
    const [appError] = await appFailed;

    assert.deepEqual(scheduled.sort(), ['consume: attempt 1 in 50 ms', 'publish: attempt 1 in 50 ms']);
    for (const e of [...errors, appError]) {
      assert.equal(e.code, 'WARREN_ERR_CONNECT');
      assert.match(e.message, /^gave up reconnecting after 1 attempts: cannot reach broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/);
    }
    assert.equal(app.state, 'failed');
  } finally {
    await app.stop();
    await proxy.close();
    await admin.cleanup();
  }
});
