import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerStats } from '@warren/core';
import { limitOf, perSecond, pointOf, policySummary, settledOf } from './sample.js';

const stats = (over: Partial<ConsumerStats>): ConsumerStats => ({
  state: 'consuming',
  intakeOff: null,
  pausedBy: [],
  received: 0,
  inFlight: 0,
  acked: 0,
  retried: 0,
  deadLettered: 0,
  requeued: 0,
  dropped: 0,
  redeliveriesCounted: 0,
  unsettleable: 0,
  isolations: 0,
  lateResults: 0,
  leftUnsettledAtStop: 0,
  maxConcurrent: 0,
  channelOpens: 1,
  replies: 0,
  errorReplies: 0,
  cancelledBeforeStart: 0,
  ...over,
});

test('settled counts every final outcome once; failed is retried, dead-lettered and dropped', () => {
  assert.deepEqual(settledOf(stats({ acked: 10, retried: 2, deadLettered: 1, requeued: 3, dropped: 4 })), { total: 20, failed: 7 });
});

test('perSecond: the difference over the interval, to one decimal; nothing to compare gives 0', () => {
  assert.equal(perSecond(150, 100, 1000), 50);
  assert.equal(perSecond(101, 100, 3000), 0.3);
  assert.equal(perSecond(5, undefined, 1000), 0);
  assert.equal(perSecond(5, 1, 0), 0);
});

test('the limit is the adaptive one when there is one, else the fixed one, else none', () => {
  const fixed = { name: 'concurrency', limit: 8, active: 3 };
  assert.equal(limitOf([{ name: 'deadline' }, fixed]), 8);
  assert.equal(limitOf([{ name: 'adaptiveConcurrency', limit: 5 }, fixed]), 5);
  assert.equal(limitOf([{ name: 'deadline' }]), null);
  assert.equal(limitOf([{ name: 'concurrency', limit: 'x' }]), null);
});

test('policy summary names the breaker state and rate-limit waits, and nothing else', () => {
  assert.deepEqual(
    policySummary([
      { name: 'deadline', late: 0 },
      { name: 'breaker', state: 'open' },
      { name: 'partnerApi', perSecond: 50, waiting: 4 },
      { name: 'concurrency', limit: 4 },
    ]),
    ['breaker open', 'rate limit 50/s, 4 waiting'],
  );
});

test('a point: rates from two reads, in flight and window as they are now', () => {
  const first = pointOf({ stats: stats({ acked: 100, inFlight: 4 }), previous: undefined, dtMs: 1000, window: 20, policies: [], depth: 7 });
  assert.deepEqual(first.point, { handled: 0, failed: 0, inFlight: 4, window: 20, limit: null, depth: 7 });
  const second = pointOf({
    stats: stats({ acked: 140, retried: 10, inFlight: 20 }),
    previous: first.settled,
    dtMs: 2000,
    window: 20,
    policies: [{ name: 'concurrency', limit: 10 }],
    depth: null,
  });
  assert.deepEqual(second.point, { handled: 25, failed: 5, inFlight: 20, window: 20, limit: 10, depth: null });
});
