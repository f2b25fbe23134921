import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './waitFor.js';

test('resolves once the check holds, sync or async', async () => {
  let calls = 0;
  await waitFor('third call', () => ++calls === 3, 1000, 1);
  assert.equal(calls, 3);
  await waitFor('async check', async () => true, 1000, 1);
});

test('times out with an error naming what it waited for', async () => {
  await assert.rejects(
    waitFor('the queue to empty', () => false, 30, 5),
    /timed out after 30 ms waiting for: the queue to empty/,
  );
});
