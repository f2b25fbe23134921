import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, HEADER, Worker } from '@warren/core';
import { BrokerAdmin, TestHarness, uniqueName } from '@warren/testing';
import { z } from 'zod';

const Order = z.object({ id: z.string(), amountCents: z.number().int().positive() });
type Order = z.infer<typeof Order>;

describe('bad input never reaches the handler and is never lost', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('bad JSON, a schema failure, a wrong content-type and an oversize body: each dead-lettered with its reason', async () => {
    const queue = uniqueName('badinput');
    admin.trackQueue(queue);
    const handled: Order[] = [];
    @Consumer({ queue, schema: Order, decode: 'json-only', maxBytes: 1024, retry: { attempts: 3, delayMs: 100 } })
    class OrderWorker extends Worker<Order> {
      async handle(order: Order): Promise<void> {
        handled.push(order);
      }
    }
    const h = await TestHarness.start({ consumers: [OrderWorker] });
    try {
      const cases = [
        { label: 'bad-json', body: Buffer.from('{"id": "o1", '), contentType: 'application/json', expect: /not valid JSON/ },
        { label: 'schema', body: { id: 'o2', amountCents: -5 }, contentType: undefined, expect: /amountCents: Too small/ },
        {
          label: 'content-type',
          body: Buffer.from('<order id="o3"/>'),
          contentType: 'application/xml',
          expect: /content-type "application\/xml" is not JSON/,
        },
        {
          label: 'oversize',
          body: { id: 'o4', amountCents: 1, pad: 'x'.repeat(2000) },
          contentType: undefined,
          expect: /more than maxBytes \(1024\)/,
        },
      ];
      for (const c of cases) {
        const r = await h.publish(queue, c.body, c.contentType === undefined ? {} : { contentType: c.contentType });
        assert.deepEqual(r.outcome, { action: 'dead-letter', reason: 'decode' }, c.label);
      }
      const ok = await h.publish(queue, { id: 'o5', amountCents: 100 });
      assert.equal(ok.result, 'acked');
      assert.deepEqual(handled, [{ id: 'o5', amountCents: 100 }], 'only the good one reached the handler');
      const dead = await h.takeDeadLetters(queue);
      assert.equal(dead.length, 4);
      for (const [i, c] of cases.entries()) {
        const headers = dead[i]?.properties.headers ?? {};
        assert.equal(headers[HEADER.reason], 'decode', c.label);
        assert.equal(headers[HEADER.error], 'DecodeError', c.label);
        assert.equal(headers[HEADER.attempt], 1, `${c.label}: no retry for bad input`);
        assert.match(String(headers[HEADER.errorMessage]), c.expect, c.label);
      }
      assert.match(String(dead[1]?.properties.headers?.[HEADER.issues]), /amountCents/);
      // The body is kept byte for byte, so the message can be fixed and replayed.
      assert.equal(dead[0]?.content.toString(), '{"id": "o1", ');
    } finally {
      await h.stop();
    }
  });
});
