import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AppEvents, type ConnectionEvents, type PublisherEvents, TypedEvents } from '@warren/core';
import { LIMIT_BURST_MS, type Mark, subscribeMarks } from './marks.js';

function setup(pausedBy: string[] = []) {
  const app = new TypedEvents<AppEvents>();
  const consume = new TypedEvents<ConnectionEvents>();
  const publisher = new TypedEvents<PublisherEvents>();
  const marks: Mark[] = [];
  const sent: Array<[number, boolean]> = [];
  const clock = { t: 1000 };
  const subs = subscribeMarks(
    { app, connections: [{ role: 'consume', events: consume }], publisher, pausedBy: () => pausedBy },
    (m, replaced) => {
      sent.push([m.id, replaced]);
      if (!replaced) marks.push(m);
    },
    () => clock.t++,
  );
  return { app, consume, publisher, marks, sent, clock, subs };
}

const brief = (marks: Mark[]) => marks.map((m) => [m.kind, m.severity, m.consumers, m.text]);

test('a blocked connection and its end are app-wide marks', () => {
  const { app, marks } = setup();
  app.emit('blocked', 'publish', 'low on memory');
  app.emit('unblocked', 'publish');
  assert.deepEqual(brief(marks), [
    ['blocked', 'bad', null, 'publish connection blocked by the broker: low on memory'],
    ['unblocked', 'good', null, 'publish connection unblocked'],
  ]);
  assert.deepEqual(
    marks.map((m) => m.t),
    [1000, 1001],
  );
});

test('breaker transitions mark the consumers they stop', () => {
  const { app, marks } = setup();
  app.emit('breakerOpen', 'billing', ['A', 'B'], { openMs: 5000, reason: 'failure rate', failureRate: 0.5 });
  app.emit('breakerHalfOpen', 'billing', ['A', 'B'], { probes: 2 });
  app.emit('breakerClosed', 'billing', ['A', 'B']);
  assert.deepEqual(brief(marks), [
    ['breakerOpen', 'bad', ['A', 'B'], 'breaker billing open for 5000 ms: failure rate (failure rate 50 %)'],
    ['breakerHalfOpen', 'warn', ['A', 'B'], 'breaker billing half-open: 2 probe(s)'],
    ['breakerClosed', 'good', ['A', 'B'], 'breaker billing closed'],
  ]);
});

test('a lowered limit warns, a raised one informs', () => {
  const { app, marks, clock } = setup();
  app.emit('limitChanged', 'A', 4, 8, 'latency');
  clock.t += LIMIT_BURST_MS;
  app.emit('limitChanged', 'A', 16, 8, 'slow-start');
  assert.deepEqual(brief(marks), [
    ['limitChanged', 'warn', ['A'], 'limit 8 → 4 (latency)'],
    ['limitChanged', 'info', ['A'], 'limit 8 → 16 (slow-start)'],
  ]);
});

test('a burst of limit moves of one consumer is one mark, updated in place; another consumer has its own', () => {
  const { app, marks, sent, clock } = setup();
  app.emit('limitChanged', 'A', 2, 1, 'slow-start');
  app.emit('limitChanged', 'A', 4, 2, 'slow-start');
  app.emit('limitChanged', 'B', 3, 4, 'latency');
  clock.t += 1000;
  app.emit('limitChanged', 'A', 3, 4, 'latency');
  assert.deepEqual(brief(marks), [
    ['limitChanged', 'info', ['A'], 'limit 1 → 3 (3 moves: slow-start, latency)'],
    ['limitChanged', 'warn', ['B'], 'limit 4 → 3 (latency)'],
  ]);
  assert.deepEqual(sent, [
    [1, false],
    [1, true],
    [2, false],
    [1, true],
  ]);
  clock.t += LIMIT_BURST_MS;
  app.emit('limitChanged', 'A', 1, 3, 'failures');
  assert.deepEqual(brief(marks).at(-1), ['limitChanged', 'warn', ['A'], 'limit 3 → 1 (failures)']);
  assert.equal(marks.at(-1)?.id, 3);
});

test('consumer states: the first start is no mark; a pause names who paused; coming back is a resume', () => {
  const { app, marks } = setup(['breaker:billing']);
  app.emit('consumerState', 'A', 'starting');
  app.emit('consumerState', 'A', 'consuming');
  app.emit('consumerState', 'A', 'paused');
  app.emit('consumerState', 'A', 'consuming');
  app.emit('consumerState', 'A', 'recovering');
  app.emit('consumerState', 'A', 'consuming');
  app.emit('consumerState', 'A', 'stopping');
  assert.deepEqual(brief(marks), [
    ['paused', 'bad', ['A'], 'intake paused by breaker:billing'],
    ['resumed', 'good', ['A'], 'intake on again (was paused)'],
    ['recovering', 'bad', ['A'], 'intake off: recovering its channel'],
    ['resumed', 'good', ['A'], 'intake on again (was recovering)'],
    ['stopping', 'info', ['A'], 'stopping'],
  ]);
});

test('a lost connection and its return are marks; the first connect is not', () => {
  const { consume, marks } = setup();
  consume.emit('connected', 1, 'amqp://127.0.0.1:5672');
  consume.emit('disconnected', new Error('CONNECTION_FORCED - broker forced connection closure'));
  consume.emit('connected', 2, 'amqp://127.0.0.1:5672');
  assert.deepEqual(brief(marks), [
    ['disconnected', 'bad', null, 'consume connection lost: CONNECTION_FORCED - broker forced connection closure'],
    ['reconnected', 'good', null, 'consume connection back (connect #2)'],
  ]);
});

test('channel losses, stalls and downstream marks', () => {
  const { app, publisher, marks } = setup();
  app.emit('consumerInterrupted', 'A', 'channel closed');
  app.emit('stalled', 'A', 12);
  app.emit('stallCleared', 'A');
  const view = {
    queue: 'store',
    maxReady: 200,
    policy: 'wait' as const,
    ready: 201,
    mark: 200,
    held: 3,
    sent: 9,
    refusals: 0,
    sampledAgoMs: 10,
  };
  publisher.emit('downstream', { ...view, full: true });
  publisher.emit('downstream', { ...view, full: false, ready: 150 });
  assert.deepEqual(brief(marks), [
    ['interrupted', 'bad', ['A'], 'channel lost: channel closed'],
    ['stalled', 'bad', ['A'], 'stalled: nothing arrives while 12 ready'],
    ['stallCleared', 'good', ['A'], 'receiving again'],
    ['downstreamFull', 'warn', null, 'store at its mark (201 ready, mark 200): publishes wait'],
    ['downstreamRoom', 'good', null, 'store has room again (150 ready, mark 200)'],
  ]);
});

test('disposing the subscriptions stops the marks', () => {
  const { app, marks, subs } = setup();
  for (const s of subs) s.dispose();
  app.emit('blocked', 'publish', 'low on memory');
  assert.equal(marks.length, 0);
});

test('a password in an error text never reaches a mark', () => {
  const { consume, marks } = setup();
  consume.emit('disconnected', new Error('connect ECONNREFUSED amqp://guest:s3cr3t@10.0.0.1:5672/vhost'));
  assert.equal(marks[0]?.text, 'consume connection lost: connect ECONNREFUSED amqp://guest:***@10.0.0.1:5672/vhost');
});
