import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReceivedMessage } from '../message/MessageContext.js';
import { copyOptions } from './copies.js';

const message = {
  fields: { exchange: 'orders', routingKey: 'order.placed', deliveryTag: 1, redelivered: false, consumerTag: 'c' },
  properties: {
    messageId: 'm1',
    contentType: 'application/json',
    deliveryMode: 2,
    headers: { app: 'x', 'x-delivery-count': 2, 'x-warren-deadline': 123, 'x-warren-attempt': 1 },
  },
} as unknown as ReceivedMessage;

test("a copy keeps the original's properties and headers, its origin, and Warren's headers on top", () => {
  const o = copyOptions(message, { 'x-warren-attempt': 2 }, true);
  assert.equal(o.messageId, 'm1');
  assert.equal(o.persistent, true);
  assert.equal(o.mandatory, true);
  assert.deepEqual(o.headers, {
    app: 'x',
    'x-warren-deadline': 123,
    'x-warren-attempt': 2,
    'x-warren-original-exchange': 'orders',
    'x-warren-original-routing-key': 'order.placed',
  });
});

test('a retry or dead letter leaves the deadline behind, and notes its first failure', () => {
  const o = copyOptions(message, { 'x-warren-error': 'Error' }, false);
  assert.equal(o.headers?.['x-warren-deadline'], undefined);
  assert.equal(typeof o.headers?.['x-warren-first-failure-at'], 'string');
  assert.equal(o.headers?.['x-delivery-count'], undefined, "the broker's count belongs to the delivery");
});

test('a trimmed copy keeps the headers that can be sent again and names the others', () => {
  const odd = {
    fields: message.fields,
    properties: { ...message.properties, headers: { app: 'x', bad: { '!': 'nonsense' }, big: 'y'.repeat(40_000), after: 1 } },
  } as unknown as ReceivedMessage;
  const o = copyOptions(odd, { 'x-warren-attempt': 2 }, true, true);
  assert.deepEqual(o.headers, {
    app: 'x',
    after: 1,
    'x-warren-headers-dropped': 'bad,big',
    'x-warren-original-exchange': 'orders',
    'x-warren-original-routing-key': 'order.placed',
    'x-warren-attempt': 2,
  });
});
