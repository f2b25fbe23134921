// @warren-test serial: sets a broker memory alarm
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerBlockedError, createPublisher, type Publisher, PublishTimeoutError } from '@warren/core';
import { BrokerAdmin, queueCounts, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import * as amqp from 'amqplib';
import { BROKER_URL } from '../support/broker.js';
import { drainIds, liveBytes, MiB, OutcomeLog, rejectionKind } from './helpers.js';

/** Heap + Buffer growth allowed over ~5 s of publishing into a blocked broker: window 50 + buffer 500 of 1 KiB, plus slack for promises and GC timing. */
const HEAP_GROWTH_BOUND = 16 * MiB;
const UNWRITTEN_TIMEOUT = rejectionKind(new PublishTimeoutError('', false));
const WRITTEN_TIMEOUT = rejectionKind(new PublishTimeoutError('', true));

/** Publishes probes until the broker tells this connection it is blocked (it only does on a publish). */
async function untilBlocked(publisher: Publisher, queue: string, log: OutcomeLog): Promise<void> {
  let n = 0;
  const blocked = publisher.events.once('blocked');
  const probe = (): void => log.track(`probe${n}`, publisher.send(queue, { probe: n }, { messageId: `probe${n++}` }));
  probe();
  const timer = setInterval(probe, 250);
  // Cleared as soon as the block comes: a pending 15 s timer would keep this file's process alive that long.
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      blocked,
      new Promise((_, reject) => {
        deadline = setTimeout(() => reject(new Error('no connection.blocked within 15 s')), 15_000);
      }),
    ]);
  } finally {
    clearInterval(timer);
    clearTimeout(deadline);
  }
}

test("memory alarm, 'wait' policy: blocked is reported, publishes past the deadline reject unwritten, heap stays bounded, a consumer keeps acking, and every fate checks out", async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.blocked');
  const work = uniqueName('pub.blocked.work');
  admin.trackQueue(queue, work);
  const publisher = await createPublisher({ urls: BROKER_URL, appName: queue, maxInFlight: 50, maxBufferedMessages: 500, timeoutMs: 1000 });
  const consumerConn = await amqp.connect(BROKER_URL, { clientProperties: { connection_name: `${work}:consume` } });
  const log = new OutcomeLog();
  const states: string[] = [];
  publisher.events.on('stateChanged', (s) => states.push(s));
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.channel.assertQueue(work, { durable: true });
    await admin.sendMany(
      work,
      Array.from({ length: 100 }, (_, i) => ({ i })),
    );
    for (let i = 0; i < 20; i++) log.track(`pre${i}`, publisher.send(queue, { i }, { messageId: `pre${i}` }));
    await log.all(5000);

    let heapGrowth = 0;
    let consumerAcked = 0;
    await withMemoryAlarm(async () => {
      await untilBlocked(publisher, queue, log);
      assert.equal(publisher.state, 'blocked');

      // A consumer on its own connection drains and acks while the publishing connection is blocked.
      const ch = await consumerConn.createChannel();
      await ch.prefetch(10);
      await ch.consume(work, (m) => {
        if (m === null) return;
        ch.ack(m);
        consumerAcked++;
      });
      await waitFor('consumer acked 100 while blocked', () => consumerAcked === 100, 10_000);
      await waitFor('broker processed the acks', async () => {
        const c = await queueCounts(work);
        return c.ready === 0 && c.unacked === 0;
      });
      assert.equal(publisher.state, 'blocked');

      // ~5 s of trying to publish 1 KiB messages at ~10,000/s.
      const before = liveBytes();
      const body = Buffer.alloc(1024, 1);
      let n = 0;
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        for (let i = 0; i < 100; i++) {
          const id = `b${n++}`;
          log.track(id, publisher.send(queue, body, { messageId: id }));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await waitFor(
        'attempted publishes settled',
        () => log.settled === log.resolved.size + log.rejected.size && publisher.stats().buffered === 0,
        3000,
      );
      heapGrowth = liveBytes() - before;
      const s = publisher.stats();
      console.log(
        `blocked(wait): attempted ${n}; heap+external growth ${(heapGrowth / MiB).toFixed(1)} MiB (bound ${HEAP_GROWTH_BOUND / MiB} MiB); stats ${JSON.stringify(s)}`,
      );
      assert.ok(heapGrowth < HEAP_GROWTH_BOUND, `heap grew ${heapGrowth} bytes`);
      assert.ok(s.inFlight <= 50);
      assert.ok(s.rejectedBlocked > 0, 'publishes beyond the buffer reject at once');
      assert.equal(publisher.state, 'blocked');
    });

    await waitFor('unblocked', () => publisher.state === 'ready', 15_000);
    for (let i = 0; i < 20; i++) log.track(`post${i}`, publisher.send(queue, { i }, { messageId: `post${i}` }));
    await log.all(15_000);
    await waitFor('in-flight timed-out messages confirmed', () => publisher.stats().inFlight === 0, 15_000);

    const inQueue = new Set(await drainIds(admin, queue));
    let resolvedMissing = 0;
    let unwrittenPresent = 0;
    let unknownPresent = 0;
    let unknownAbsent = 0;
    const unexpected: string[] = [];
    for (const id of log.resolved) if (!inQueue.has(id)) resolvedMissing++;
    for (const [id, kind] of log.rejected) {
      if (kind === BrokerBlockedError.name || kind === UNWRITTEN_TIMEOUT) {
        if (inQueue.has(id)) unwrittenPresent++;
      } else if (kind === WRITTEN_TIMEOUT) {
        if (inQueue.has(id)) unknownPresent++;
        else unknownAbsent++;
      } else unexpected.push(`${id}: ${kind}`);
    }
    console.log(
      `blocked(wait) fates: ${JSON.stringify(log.summary())}; queue ${inQueue.size}; resolved-but-missing ${resolvedMissing}; rejected-unwritten-but-present ${unwrittenPresent}; unknown fate (written, timed out): ${unknownPresent} in queue, ${unknownAbsent} not; consumer acked ${consumerAcked} while blocked; states ${states.join('>')}`,
    );
    assert.equal(resolvedMissing, 0);
    assert.equal(unwrittenPresent, 0);
    assert.deepEqual(unexpected, []);
    assert.equal(inQueue.size, log.resolved.size + unknownPresent);
    assert.ok((log.summary()[UNWRITTEN_TIMEOUT] ?? 0) > 0, 'buffered publishes passed their 1 s deadline');
    assert.ok(states.includes('blocked') && states.at(-1) === 'ready');
  } finally {
    await publisher.close();
    await consumerConn.close().catch(() => undefined);
    await admin.cleanup();
  }
});

test("memory alarm, 'fail-fast' policy: once blocked, publishes reject at once with BrokerBlockedError", async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('pub.failfast');
  admin.trackQueue(queue);
  const publisher = await createPublisher({ urls: BROKER_URL, appName: queue, blockedPolicy: 'fail-fast', timeoutMs: 1000 });
  const log = new OutcomeLog();
  try {
    await admin.channel.assertQueue(queue, { durable: true });
    await withMemoryAlarm(async () => {
      await untilBlocked(publisher, queue, log);
      const started = performance.now();
      const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => publisher.send(queue, { i })));
      const ms = performance.now() - started;
      const blocked = results.filter((r) => r.status === 'rejected' && r.reason instanceof BrokerBlockedError).length;
      console.log(`blocked(fail-fast): ${blocked}/1000 rejected with BrokerBlockedError in ${ms.toFixed(1)} ms`);
      assert.equal(blocked, 1000);
      assert.ok(ms < 500, `took ${ms} ms`);
      assert.equal(publisher.stats().rejectedBlocked, 1000);
    });
    await waitFor('unblocked', () => publisher.state === 'ready', 15_000);
    await publisher.send(queue, { after: true });
    await log.all(15_000);
  } finally {
    await publisher.close();
    await admin.cleanup();
  }
});
