import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.js';

const opts = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };

test('backoff grows by the factor and stops at the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, opts)),
    [100, 200, 400, 800, 1000, 1000],
  );
});

test('jitter stays within ±jitter of the base and never passes the cap', () => {
  const j = { ...opts, jitter: 0.5 };
  assert.equal(
    backoffDelay(2, j, () => 0),
    100,
  );
  assert.equal(
    backoffDelay(2, j, () => 1),
    300,
  );
  assert.equal(
    backoffDelay(10, j, () => 1),
    1000,
  );
});
