import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { AMQPLIB_FRAME_MAX } from './headerFrame.js';
import { BUFFERED } from './PendingPublish.js';
import { type PublishLimits, preparePublish } from './preparePublish.js';

const limits: PublishLimits = { timeoutMs: 30_000, maxMessageBytes: 1024, frameMax: AMQPLIB_FRAME_MAX };

describe('preparePublish', () => {
  it('fills the properties Warren promises: a UUID messageId, a timestamp in seconds, persistent, the body’s content type', () => {
    const before = Date.now();
    const e = preparePublish('orders', 'placed', { id: 1 }, {}, limits);
    assert.equal(e.phase, BUFFERED);
    assert.deepEqual([e.exchange, e.routingKey, e.content.toString()], ['orders', 'placed', '{"id":1}']);
    assert.match(String(e.properties.messageId), /^[0-9a-f-]{36}$/);
    assert.ok(Math.abs(Number(e.properties.timestamp) - Math.floor(before / 1000)) <= 1);
    assert.equal(e.properties.persistent, true);
    assert.equal(e.properties.mandatory, false);
    assert.equal(e.properties.contentType, 'application/json');
    assert.ok(e.deadline >= before + 30_000 && e.deadline <= Date.now() + 30_000);
    assert.equal(e.bytes, 8);
    assert.equal(e.headerFrameBytes, 0, 'no headers: fits any frame_max, not measured');
    assert.equal(preparePublish('', 'q', 'hi', {}, limits).properties.contentType, 'text/plain');
    assert.equal(preparePublish('', 'q', Buffer.from('hi'), {}, limits).properties.contentType, undefined);
  });

  it('keeps what the caller set; expiration goes out as a string; timeoutMs sets the deadline', () => {
    const e = preparePublish(
      '',
      'q',
      Buffer.from('x'),
      {
        messageId: 'm',
        timestamp: 5,
        persistent: false,
        mandatory: true,
        expiration: 60_000,
        contentType: 'application/x-raw',
        priority: 3,
        correlationId: 'c',
        replyTo: 'r',
        type: 't',
        appId: 'a',
        headers: { tenant: 'acme' },
        timeoutMs: 10,
      },
      limits,
    );
    const { headers, ...rest } = e.properties;
    assert.deepEqual(headers, { tenant: 'acme' });
    assert.deepEqual(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), {
      messageId: 'm',
      timestamp: 5,
      persistent: false,
      mandatory: true,
      expiration: '60000',
      contentType: 'application/x-raw',
      priority: 3,
      correlationId: 'c',
      replyTo: 'r',
      type: 't',
      appId: 'a',
    });
    assert.ok(e.deadline <= Date.now() + 10);
    assert.ok(e.headerFrameBytes > 22);
  });

  it('refuses, before anything is buffered: a body over maxMessageBytes, headers over frame_max, a bad option', () => {
    assert.throws(
      () => preparePublish('', 'q', Buffer.alloc(1025), {}, limits),
      (e: unknown) => e instanceof InvalidPublishError && /maxMessageBytes \(1024\)/.test(e.message),
    );
    const small = { ...limits, frameMax: 4096 };
    assert.throws(
      () => preparePublish('', 'q', 'x', { headers: { big: 'x'.repeat(5000) } }, small),
      (e: unknown) => e instanceof InvalidPublishError && /frame_max of 4096/.test(e.message),
    );
    assert.throws(() => preparePublish('', 'q', 'x', { priority: 256 }, limits), /option priority/);
    assert.throws(() => preparePublish('', 'q', undefined, {}, limits), InvalidPublishError);
  });
});
