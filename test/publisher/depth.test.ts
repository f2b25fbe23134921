/**
 * Queue-depth-aware publishing: a publisher holds or refuses publishes to a queue at its `limits`
 * mark (read with passive declares), and reports a queue's own refusals (x-max-length with
 * x-overflow reject-publish) as DownstreamFullError, with nothing lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublisher, DownstreamFullError, type Publisher } from '@warren/core';
import { BrokerAdmin, sleep, Tally, uniqueName, waitFor } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';
import { DepthWatch } from './depthWatch.js';
import { drainIds } from './helpers.js';

/** Each publish's fate by id: 'ok', 'full:limit', 'full:broker', or another error's name. */
function track(fates: Map<string, string>, id: string, p: Promise<void>): Promise<void> {
  return p.then(
    () => void fates.set(id, 'ok'),
    (error: unknown) => void fates.set(id, error instanceof DownstreamFullError ? `full:${error.by}` : (error as Error).name),
  );
}

function count(fates: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fate of fates.values()) out[fate] = (out[fate] ?? 0) + 1;
  return out;
}

const idsOf = (fates: Map<string, string>, fate: string): string[] => [...fates].filter(([, f]) => f === fate).map(([id]) => id);

/** A queue that refuses publishes (basic.nack) once it holds `maxLength` ready messages; cleaned up with the admin's. */
async function rejectPublishQueue(admin: BrokerAdmin, label: string, maxLength: number): Promise<string> {
  const queue = uniqueName(label);
  admin.trackQueue(queue);
  await admin.channel.assertQueue(queue, { durable: true, arguments: { 'x-max-length': maxLength, 'x-overflow': 'reject-publish' } });
  return queue;
}

/** Sends `n` messages with ids `<prefix><i>` and waits for every fate. */
function sendAll(publisher: Publisher, queue: string, prefix: string, n: number, fates: Map<string, string>): Promise<void> {
  const sends = Array.from({ length: n }, (_, i) =>
    track(fates, `${prefix}${i}`, publisher.send(queue, { i }, { messageId: `${prefix}${i}` })),
  );
  return Promise.all(sends).then(() => undefined);
}

/** Consumes `queue` on its own channel, acking each after `ackAfterMs`, into `tally` by messageId. */
async function consume(admin: BrokerAdmin, queue: string, tally: Tally, prefetch: number, ackAfterMs = 0): Promise<() => Promise<void>> {
  const ch = await admin.connection.createChannel();
  await ch.prefetch(prefetch);
  await ch.consume(queue, (m) => {
    if (m === null) return;
    tally.add(String(m.properties.messageId));
    if (ackAfterMs === 0) ch.ack(m);
    else setTimeout(() => ch.ack(m), ackAfterMs);
  });
  return () => ch.close().catch(() => undefined);
}

describe('queue-depth-aware publishing', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('with its consumer stopped, a queue with maxReady 1000 holds at ≤ 1000 ready (the brief allowed + the in-flight window); other queues go on; then every id arrives once', async () => {
    const queue = uniqueName('depth.mark');
    const other = uniqueName('depth.other');
    admin.trackQueue(queue, other);
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.channel.assertQueue(other, { durable: true });
    const MAX_IN_FLIGHT = 200;
    // Counting unconfirmed publishes on top of each depth read keeps one publisher at the mark itself.
    const BOUND = 1000;
    const TOTAL = 5000;
    let publisher: Publisher | undefined;
    const watch = DepthWatch.start(admin, [queue]);
    let stopConsumer: (() => Promise<void>) | undefined;
    try {
      publisher = await createPublisher({
        urls: BROKER_URL,
        appName: queue,
        maxInFlight: MAX_IN_FLIGHT,
        limits: { [queue]: { maxReady: 1000 } },
      });
      const p = publisher;
      const fates = new Map<string, string>();
      const ids = Array.from({ length: TOTAL }, (_, i) => `m${i}`);
      const all = ids.map((id) => track(fates, id, p.send(queue, { id }, { messageId: id, timeoutMs: 60_000 })));
      await waitFor('the queue at its mark, publishes held', async () => p.stats().held > 0 && (await admin.depth(queue)) >= 1000);
      // An observation window: the hold must last, not just happen once.
      await sleep(1500);
      const during = p.stats();
      const readyDuring = await admin.depth(queue);

      // A full queue holds only its own publishes.
      const started = Date.now();
      const otherFates = new Map<string, string>();
      await sendAll(p, other, 'o', 200, otherFates);
      const otherMs = Date.now() - started;
      // And a copy (ignoreLimits) passes the mark.
      await p.send(queue, { id: 'copy' }, { messageId: 'copy', ignoreLimits: true });

      const tally = new Tally();
      stopConsumer = await consume(admin, queue, tally, 100);
      await Promise.all(all);
      await waitFor('every message consumed', () => tally.total >= TOTAL + 1, 30_000);
      const end = p.stats();
      await watch.stop();
      const view = p.limits()[0];
      console.log(
        `depth: while held: ready ${readyDuring}, confirmed ${during.confirmed}/${TOTAL}, held ${during.held}, in flight ${during.inFlight}; ` +
          `max ready seen ${watch.maxOf(queue)} (bound ${BOUND} + 1 copy; ${watch.declareSamples} passive declares, ${watch.brokerSamples} broker samples); ` +
          `200 to another queue in ${otherMs} ms; after draining: ${JSON.stringify(count(fates))}, consumed ${tally.total}, duplicates ${tally.duplicates()}; ` +
          `the limit's view: mark ${view?.mark}, sent ${view?.sent}, held ${view?.held}`,
      );
      assert.equal(readyDuring, 1000, 'held exactly at the mark');
      assert.ok(during.confirmed <= BOUND, `confirmed ${during.confirmed} while held`);
      assert.equal(during.confirmed + during.held + during.inFlight + during.buffered, TOTAL, 'every publish confirmed, held or under way');
      assert.ok(watch.maxOf(queue) <= BOUND + 1, `max ready ${watch.maxOf(queue)}`);
      assert.ok(watch.brokerSamples >= 1);
      assert.deepEqual(count(otherFates), { ok: 200 });
      assert.ok(otherMs < 5000, `the other queue took ${otherMs} ms`);
      assert.deepEqual(count(fates), { ok: TOTAL });
      assert.deepEqual(tally.missing([...ids, 'copy']), []);
      assert.equal(tally.duplicates(), 0);
      assert.equal(end.downstreamFull, 0);
    } finally {
      await watch.stop();
      await stopConsumer?.();
      await publisher?.close();
    }
  });

  it('a queue with x-max-length 100 and reject-publish: the rest get DownstreamFullError, and every confirmed id is in the queue', async () => {
    const queue = await rejectPublishQueue(admin, 'depth.reject', 100);
    const publisher = await createPublisher({ urls: BROKER_URL, appName: queue });
    try {
      const fates = new Map<string, string>();
      await sendAll(publisher, queue, 'r', 300, fates);
      const inQueue = await drainIds(admin, queue);
      const s = publisher.stats();
      console.log(
        `reject-publish, no limits: ${JSON.stringify(count(fates))}; in the queue ${inQueue.length}; refusedByQueue ${s.refusedByQueue}, nacked ${s.nacked}`,
      );
      assert.deepEqual(count(fates), { ok: 100, 'full:broker': 200 });
      assert.deepEqual(inQueue.sort(), idsOf(fates, 'ok').sort(), 'exactly the confirmed ids');
      assert.deepEqual([s.refusedByQueue, s.downstreamFull, s.nacked], [200, 200, 0]);
    } finally {
      await publisher.close();
    }
  });

  it("'fail-fast' with a mark above the queue's own limit: refused by the broker once, then refused at the mark without reaching it", async () => {
    const queue = await rejectPublishQueue(admin, 'depth.learn', 100);
    const publisher = await createPublisher({
      urls: BROKER_URL,
      appName: queue,
      limits: { [queue]: { maxReady: 1000, policy: 'fail-fast', sampleEveryMs: 100 } },
    });
    try {
      const first = new Map<string, string>();
      await sendAll(publisher, queue, 'a', 300, first);
      await waitFor('the mark learned from the refusals', () => publisher.limits()[0]?.mark === 100);
      const second = new Map<string, string>();
      await sendAll(publisher, queue, 'b', 300, second);
      const inQueue = await drainIds(admin, queue);
      const s = publisher.stats();
      console.log(
        `reject-publish, fail-fast at 1000: first ${JSON.stringify(count(first))}, then ${JSON.stringify(count(second))}; ` +
          `refusedByQueue ${s.refusedByQueue}; learned mark ${publisher.limits()[0]?.mark}; in the queue ${inQueue.length}`,
      );
      assert.deepEqual(count(first), { ok: 100, 'full:broker': 200 });
      assert.deepEqual(count(second), { 'full:limit': 300 }, 'held back at the learned mark');
      assert.equal(s.refusedByQueue, 200, 'the second round never reached the broker');
      assert.deepEqual(inQueue.sort(), idsOf(first, 'ok').sort());
    } finally {
      await publisher.close();
    }
  });

  it("'wait' into a reject-publish queue being drained: refused publishes wait again, and every id arrives exactly once", async () => {
    const queue = await rejectPublishQueue(admin, 'depth.waitreject', 50);
    const publisher = await createPublisher({
      urls: BROKER_URL,
      appName: queue,
      limits: { [queue]: { maxReady: 1000, sampleEveryMs: 50 } },
    });
    const tally = new Tally();
    const stop = await consume(admin, queue, tally, 10, 2);
    const watch = DepthWatch.start(admin, [queue]);
    try {
      const fates = new Map<string, string>();
      const ids = Array.from({ length: 1000 }, (_, i) => `w${i}`);
      const started = Date.now();
      await Promise.all(ids.map((id) => track(fates, id, publisher.send(queue, { id }, { messageId: id, timeoutMs: 60_000 }))));
      const ms = Date.now() - started;
      await waitFor('every id consumed', () => tally.total >= ids.length);
      await watch.stop();
      const s = publisher.stats();
      const view = publisher.limits()[0];
      console.log(
        `reject-publish, wait: ${JSON.stringify(count(fates))} in ${ms} ms; refusedByQueue ${s.refusedByQueue} (waited again), ` +
          `downstreamFull ${s.downstreamFull}; learned mark ${view?.mark}; max ready ${watch.maxOf(queue)}; consumed ${tally.total}, duplicates ${tally.duplicates()}`,
      );
      assert.deepEqual(count(fates), { ok: 1000 });
      assert.ok(s.refusedByQueue > 0, 'the queue did refuse some');
      assert.equal(s.downstreamFull, 0, 'none given up: they waited');
      assert.deepEqual(tally.missing(ids), []);
      assert.equal(tally.duplicates(), 0);
      assert.ok(watch.maxOf(queue) <= 50);
    } finally {
      await watch.stop();
      await stop();
      await publisher.close();
    }
  });
});
