/**
 * What request/reply puts on the wire, seen from raw amqplib on the other end: a request without
 * headers (its deadline in the correlation id), an ok reply without headers, an error reply that
 * says so. RabbitMQ decodes every headers table, which cost 14–22% of the round trips at 100 callers.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, HEADER, type Publisher, Reject, requestDeadline, Worker } from '@warren/core';
import { type BrokerAdmin, uniqueName } from '@warren/testing';
import * as amqp from 'amqplib';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import { closeRpcKit, openRpcKit, type Req, type Res } from '../support/rpc.js';

describe('request/reply on the wire', () => {
  let admin: BrokerAdmin;
  let client: Publisher;
  before(async () => {
    ({ admin, client } = await openRpcKit('rpc-wire-client'));
  });
  after(() => closeRpcKit({ admin, client }));

  it('a request and its ok reply carry an empty headers table (the broker decodes each entry); the deadline travels in the correlation id', async () => {
    const queue = uniqueName('rpc-wire');
    await admin.channel.assertQueue(queue, { durable: false, autoDelete: false });
    admin.trackQueue(queue);
    // amqplib always writes a headers table, empty when there are none.
    // A raw responder sees the request as the broker delivers it, and answers through the reply-to.
    const seen: amqp.ConsumeMessage[] = [];
    const raw = await amqp.connect(BROKER_URL);
    try {
      const ch = await raw.createChannel();
      await ch.consume(queue, (m) => {
        if (m === null) return;
        seen.push(m);
        ch.sendToQueue(m.properties.replyTo as string, Buffer.from('{"doubled":2}'), {
          correlationId: m.properties.correlationId as string,
          contentType: 'application/json',
        });
        ch.ack(m);
      });
      const before = Date.now();
      assert.deepEqual(await client.request(queue, { n: 1 }, { timeoutMs: 5000 }), { doubled: 2 }, 'a reply without a status is ok');
      const p = seen[0]?.properties;
      assert.equal(p?.headers?.[HEADER.deadline], undefined, 'no deadline header');
      assert.ok(p?.headers === undefined || Object.keys(p.headers).length === 0, `no headers: ${JSON.stringify(p?.headers)}`);
      const deadline = requestDeadline(String(p?.correlationId));
      assert.ok(deadline !== undefined && deadline >= before + 5000 && deadline <= Date.now() + 5000, `deadline ${deadline}`);
      assert.equal(p?.expiration, '5000');
    } finally {
      await raw.close();
    }
    // A Warren responder's ok reply has no headers; its error reply says so in x-warren-reply.
    const target = uniqueName('rpc-wire-warren');
    admin.trackQueue(target);
    @Consumer({ queue: target, deadLetter: false })
    class Answers extends Worker<Req, Res> {
      async handle(req: Req): Promise<Res> {
        if (req.fail) throw new Reject('no');
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Answers] });
    const requester = await amqp.connect(BROKER_URL);
    try {
      const ch = await requester.createChannel();
      const replies: amqp.ConsumeMessage[] = [];
      const got = new Promise<void>((resolve) => {
        void ch.consume(
          'amq.rabbitmq.reply-to',
          (m) => {
            if (m !== null && replies.push(m) === 2) resolve();
          },
          { noAck: true },
        );
      });
      for (const body of [{ n: 3 }, { n: 4, fail: true }]) {
        ch.sendToQueue(target, Buffer.from(JSON.stringify(body)), { replyTo: 'amq.rabbitmq.reply-to', correlationId: `c${body.n}` });
      }
      await got;
      const ok = replies.find((r) => r.properties.correlationId === 'c3');
      const failed = replies.find((r) => r.properties.correlationId === 'c4');
      assert.deepEqual(JSON.parse(String(ok?.content)), { doubled: 6, worker: 0 });
      const okHeaders = ok?.properties.headers;
      assert.ok(okHeaders === undefined || Object.keys(okHeaders).length === 0, `no headers on an ok reply: ${JSON.stringify(okHeaders)}`);
      assert.equal(failed?.properties.headers?.[HEADER.replyStatus], 'error');
    } finally {
      await requester.close();
      await app.stop();
    }
  });
});
