import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RETRY_LADDER_MS, retryQueueDelay } from './retryLadder.js';

test("a configured delay keeps its own queue; any other delay waits in the ladder's next step", () => {
  assert.equal(retryQueueDelay(1234, [1234]), 1234);
  assert.equal(retryQueueDelay(1234, [500]), 2000);
  assert.equal(retryQueueDelay(1, []), 100);
  assert.equal(retryQueueDelay(2000, []), 2000);
  assert.equal(retryQueueDelay(86_400_000, []), 86_400_000);
});

test('every delay up to a day maps to one of a bounded set of queues, never below the delay', () => {
  const queues = new Set<number>();
  for (let d = 1; d <= 86_400_000; d = Math.ceil(d * 1.37)) {
    const q = retryQueueDelay(d, []);
    assert.ok(q >= d, `${d} -> ${q}`);
    queues.add(q);
  }
  assert.ok(queues.size <= RETRY_LADDER_MS.length);
});
