import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from './sleep.js';

test("an abort ends the sleep at once with the signal's reason", async () => {
  const controller = new AbortController();
  const started = Date.now();
  const slept = sleep(10_000, controller.signal);
  const reason = new Error('shutdown');
  controller.abort(reason);
  await assert.rejects(slept, (error) => error === reason);
  assert.ok(Date.now() - started < 1000);
});

test('an already aborted signal rejects without waiting', async () => {
  const reason = new Error('gone');
  await assert.rejects(sleep(10_000, AbortSignal.abort(reason)), (error) => error === reason);
});
