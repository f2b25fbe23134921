// @warren-test serial: sets a broker memory alarm
/**
 * A reply to direct reply-to normally goes out unconfirmed, straight to the socket
 * (directReplies.test.ts). While the broker blocks the publishing connection it must not: the
 * broker reads nothing from a blocked connection, so the reply waits in the publisher, within its
 * bounds and deadline, like any publish, and reaches its caller once the alarm clears. The
 * request is acked meanwhile, on the consuming connection, which the alarm leaves alone.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, createPublisher, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import type { Req, Res } from '../support/rpc.js';

test('while the broker blocks publishing, a reply waits in the publisher and reaches its caller once unblocked', async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('rpc-blocked');
  const probes = uniqueName('rpc-blocked-probes');
  admin.trackQueue(queue, probes);
  let gate: Promise<void> = Promise.resolve();
  let started: () => void = () => undefined;
  @Consumer({ queue, deadLetter: false })
  class Gated extends Worker<Req, Res> {
    async handle(req: Req): Promise<Res> {
      started();
      await gate;
      return { doubled: req.n * 2, worker: 0 };
    }
  }
  const client = await createPublisher({ url: BROKER_URL, appName: uniqueName('rpc-blocked-client') });
  const app = await startTestApp({ name: uniqueName('rpc-blocked-app'), consumers: [Gated] });
  const probeOutcomes: Array<Promise<unknown>> = [];
  try {
    await admin.channel.assertQueue(probes, { durable: false });
    // Until a reply went direct, the plain channel is open.
    for (let n = 0; !(app.publisher.stats().directReplies > 0); n++) {
      assert.ok(n < 50, 'replies go direct once the reply channel is open');
      assert.deepEqual(await client.request<Res>(queue, { n }, { timeoutMs: 5000 }), { doubled: n * 2, worker: 0 });
    }

    let release: () => void = () => undefined;
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const handling = new Promise<void>((resolve) => {
      started = resolve;
    });
    const answer = client.request<Res>(queue, { n: 7 }, { timeoutMs: 30_000 });
    await handling;

    let during: ReturnType<typeof app.publisher.stats> | undefined;
    await withMemoryAlarm(async () => {
      // The broker blocks a connection once it publishes during the alarm: the app's publisher probes.
      const blocked = app.publisher.events.once('blocked');
      const probe = (): number => probeOutcomes.push(app.publisher.send(probes, { probe: true }).catch((e: Error) => e));
      probe();
      const timer = setInterval(probe, 250);
      try {
        await blocked;
      } finally {
        clearInterval(timer);
      }
      const before = app.publisher.stats();
      release();
      await waitFor('the reply held in the publisher', () => app.publisher.stats().buffered > before.buffered);
      during = app.publisher.stats();
      assert.equal(during.directReplies, before.directReplies, 'no reply written to a blocked connection');
      // The reply waits in the publisher, whose connection the probes got blocked; the request's
      // ack goes out on the consuming connection, which nothing publishes on and the alarm leaves
      // alone: the broker takes it while the reply is still held. (A consumer sharing the
      // publisher's connection would have its ack unread until the alarm clears.) Well within the
      // held reply's own 5 s deadline (Replier), after which the publisher would drop it.
      const held = during.buffered;
      await waitFor(
        'the request acked (not put back) while its reply is held',
        async () => {
          const counts = await queueCounts(queue);
          return counts.unacked === 0 && counts.ready === 0;
        },
        4000,
      );
      assert.equal(app.publisher.stats().buffered, held, 'the reply is still held when its request is acked');
    });

    assert.deepEqual(await answer, { doubled: 14, worker: 0 }, 'the reply reached its caller after the alarm');
    const after = app.publisher.stats();
    assert.equal(after.directReplies, during?.directReplies, 'the held reply went confirmed');
    for (const outcome of await Promise.all(probeOutcomes)) assert.equal(outcome, undefined, `a probe failed: ${String(outcome)}`);
    console.log(
      `# [rpc] blocked: reply held (buffered ${during?.buffered} with the probes), answered after the alarm; direct replies ${after.directReplies}, confirmed ${after.confirmed}`,
    );
  } finally {
    await app.stop();
    await client.close();
    await admin.cleanup();
  }
});
