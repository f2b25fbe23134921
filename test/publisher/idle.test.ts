/**
 * An idle worker does not poll: once its messages are handled and its publishes confirmed, a
 * Warren app (its consumer, its own publisher) and a standalone publisher leave the process
 * asleep. The publisher's deadline sweep used to tick every 50 ms whether or not anything waited:
 * 40 wake-ups a second for these two publishers, 8.5 ms of CPU a second (`npm run bench -- --only idle`).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, createPublisher, DownstreamFullError, Publisher, Worker } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';

const MESSAGES = 20;
const IDLE_MS = 1500;
/** Voluntary context switches a second allowed while idle: heartbeats and the test runner wake the process a few times. */
const MAX_WAKEUPS_PER_SEC = 10;

describe('an idle worker', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it(`is woken fewer than ${MAX_WAKEUPS_PER_SEC} times a second once its work is done, and its publishers still keep deadlines after`, async () => {
    const first = uniqueName('idle-a');
    const next = uniqueName('idle-b');
    admin.trackQueue(first, next);
    await admin.channel.assertQueue(next, { durable: true });
    const handled = new Tally();
    @Consumer({ queue: first })
    class Forwarder extends Worker<{ id: string }> {
      constructor(@inject(Publisher) private readonly publisher: Publisher) {
        super();
      }
      async handle(job: { id: string }): Promise<void> {
        await this.publisher.send(next, job);
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Forwarder] });
    // A mark on `next`, which the forwarder fills: after the idle spell, a publish there is held.
    const publisher = await createPublisher({ urls: BROKER_URL, appName: first, timeoutMs: 5000, limits: { [next]: { maxReady: 5 } } });
    try {
      const ids = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
      await Promise.all(ids.map((id) => publisher.send(first, { id })));
      await waitFor('every message forwarded', () => handled.total === MESSAGES);
      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);

      const before = process.resourceUsage().voluntaryContextSwitches;
      const started = performance.now();
      await sleep(IDLE_MS);
      const perSec = (process.resourceUsage().voluntaryContextSwitches - before) / ((performance.now() - started) / 1000);
      assert.ok(perSec < MAX_WAKEUPS_PER_SEC, `${perSec.toFixed(1)} wake-ups a second while idle`);

      // Woken again by a publish: a held publish's deadline is kept (the sweep fails it), where
      // a sweep that never came back would leave it waiting for good.
      const sent = performance.now();
      const late = await Promise.race([
        publisher.send(next, { id: 'late' }, { timeoutMs: 300 }).then(
          () => 'confirmed',
          (error: Error) => error,
        ),
        // Unref'd: once the publish settles, it does not hold the test's process for 5 s.
        sleep(5000, 'still waiting after 5 s', { ref: false }),
      ]);
      const waited = performance.now() - sent;
      assert.ok(late instanceof DownstreamFullError, `held at the mark, then failed: ${String(late)}`);
      assert.ok(waited >= 250 && waited < 2000, `failed at its deadline: after ${waited.toFixed(0)} ms`);
      assert.equal(await admin.depth(next), MESSAGES, 'never written');
    } finally {
      await publisher.close();
      await app.stop();
    }
  });
});
