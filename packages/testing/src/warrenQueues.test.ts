import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warrenQueues } from './warrenQueues.js';

test("each declared queue and its DLQ, whether or not it is listed (a broker's list may be unavailable)", () => {
  assert.deepEqual(warrenQueues(['t.a.1', 't.b.2'], []), ['t.a.1', 't.a.1.dlq', 't.b.2', 't.b.2.dlq']);
});

test('every listed delay queue of a declared queue: configured delays and RetryLater ladder steps', () => {
  const existing = ['t.a.1', 't.a.1.dlq', 't.a.1.retry.50', 't.a.1.retry.2000', 't.a.1.retry.86400000', 'other'];
  assert.deepEqual(warrenQueues(['t.a.1'], existing).sort(), [
    't.a.1',
    't.a.1.dlq',
    't.a.1.retry.2000',
    't.a.1.retry.50',
    't.a.1.retry.86400000',
  ]);
});

test("leaves alone other queues that only share the prefix, and other queues' delay queues", () => {
  const existing = ['t.a.1.out', 't.a.1.retry.x', 't.a.1.retry.050', 't.a.10.retry.50', 't.a.1x.retry.50', 't.a.retry.50'];
  assert.deepEqual(warrenQueues(['t.a.1'], existing), ['t.a.1', 't.a.1.dlq']);
});

test('nothing declared, nothing to delete', () => {
  assert.deepEqual(warrenQueues([], ['t.a.1', 't.a.1.retry.50']), []);
});
