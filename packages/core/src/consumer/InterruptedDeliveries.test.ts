import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterruptedDeliveries } from './InterruptedDeliveries.js';

test('remembers each id once, "started" wins, and forgets the oldest past capacity', () => {
  const memory = new InterruptedDeliveries(3);
  memory.remember('a', 'not-started');
  memory.remember('a', 'started');
  memory.remember('a', 'not-started');
  assert.equal(memory.take('a'), 'started');
  assert.equal(memory.take('a'), undefined, 'one memory covers one redelivery');
  for (const id of ['b', 'c', 'd', 'e']) memory.remember(id, 'not-started');
  assert.equal(memory.size, 3);
  assert.equal(memory.take('b'), undefined, 'the oldest was forgotten');
  assert.equal(memory.take('e'), 'not-started');
});
