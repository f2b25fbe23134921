/**
 * Where a responder's replies go. RabbitMQ's direct reply-to delivers a reply at most once and
 * confirms it whatever becomes of it (its docs: "Direct Reply-To"), so Warren writes a reply to it
 * on a plain channel of the publishing connection, unconfirmed; a reply to a real queue is a
 * confirmed publish like any other.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, type Publisher, Worker } from '@warren/core';
import { type BrokerAdmin, closeConnectionsNamed, uniqueName } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { closeRpcKit, openRpcKit, type Req, type Res } from '../support/rpc.js';

const REQUESTS = 200;

describe('replies', () => {
  let admin: BrokerAdmin;
  let client: Publisher;
  before(async () => {
    ({ admin, client } = await openRpcKit('rpc-direct-client'));
  });
  after(() => closeRpcKit({ admin, client }));

  it('to direct reply-to: unconfirmed, each to its caller, and again so once the publishing connection is back; to a real queue: confirmed', async () => {
    const queue = uniqueName('rpc-direct');
    admin.trackQueue(queue);
    @Consumer({ queue, deadLetter: false, prefetch: 20 })
    class Doubler extends Worker<Req, Res> {
      async handle(req: Req): Promise<Res> {
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const appName = uniqueName('rpc-direct-app');
    const app = await startTestApp({ name: appName, consumers: [Doubler] });
    try {
      // In rounds of 20 at once: every reply to its own caller, exactly once.
      const ask = async (from: number): Promise<void> => {
        for (let n = from; n < from + REQUESTS; n += 20) {
          const batch = Array.from({ length: 20 }, (_, i) => n + i);
          const replies = await Promise.all(batch.map((m) => client.request<Res>(queue, { n: m }, { timeoutMs: 5000 })));
          assert.deepEqual(
            replies.map((r) => r.doubled),
            batch.map((m) => m * 2),
          );
        }
      };
      await ask(0);
      const first = app.publisher.stats();
      // The first replies go confirmed while the plain channel opens (a round of 20 here; margin for a slow broker), the rest direct.
      assert.equal(first.directReplies + first.published, REQUESTS, JSON.stringify(first));
      assert.ok(first.directReplies >= REQUESTS - 60, `direct replies ${first.directReplies} of ${REQUESTS}`);
      assert.equal(first.confirmed, first.published, 'every confirmed reply confirmed');

      // The publishing connection is lost: the app reconnects, and the reply channel comes back with it.
      const reconnected = new Promise<void>((resolve) => app.publisher.events.on('channelClosed', () => resolve()));
      assert.ok((await closeConnectionsNamed(`${appName}:publish`)) >= 1);
      await reconnected;
      await ask(REQUESTS);
      const second = app.publisher.stats();
      const direct = second.directReplies - first.directReplies;
      assert.equal(direct + second.published - first.published, REQUESTS, JSON.stringify(second));
      assert.ok(direct >= REQUESTS - 60, `direct replies after the reconnect: ${direct} of ${REQUESTS}`);

      // A reply to a queue of the requester's own (no direct reply-to) is a confirmed publish.
      const replyQueue = uniqueName('rpc-direct-replies');
      await admin.channel.assertQueue(replyQueue, { durable: false });
      admin.trackQueue(replyQueue);
      const arrived = new Promise<{ correlationId: unknown; body: unknown }>((resolve) => {
        void admin.channel.consume(
          replyQueue,
          (m) => {
            if (m !== null) resolve({ correlationId: m.properties.correlationId, body: JSON.parse(String(m.content)) });
          },
          { noAck: true },
        );
      });
      admin.channel.sendToQueue(queue, Buffer.from(JSON.stringify({ n: 21 })), { replyTo: replyQueue, correlationId: 'own-queue' });
      assert.deepEqual(await arrived, { correlationId: 'own-queue', body: { doubled: 42, worker: 0 } });
      const third = app.publisher.stats();
      console.log(
        `# [rpc] replies direct/confirmed: ${first.directReplies}/${first.published}, after the reconnect ${direct}/${second.published - first.published}; to a real queue ${third.published - second.published} confirmed`,
      );
      assert.deepEqual([third.published - second.published, third.directReplies - second.directReplies], [1, 0]);
    } finally {
      await app.stop();
    }
  });
});
