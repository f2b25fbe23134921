import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageDeadlineHere, withMessageDeadline } from './deadlineScope.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a handler sees its own message deadline across awaits, and nothing outside', async () => {
  const seen: Array<number | undefined> = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const a = withMessageDeadline(1000, async () => {
    await tick();
    seen.push(messageDeadlineHere());
    await gate;
    seen.push(messageDeadlineHere());
  });
  const b = withMessageDeadline(2000, async () => {
    await tick();
    seen.push(messageDeadlineHere());
  });
  const none = withMessageDeadline(undefined, async () => {
    await tick();
    seen.push(messageDeadlineHere());
  });
  assert.equal(messageDeadlineHere(), undefined, 'not outside a handler');
  await Promise.all([b, none]);
  release();
  await a;
  assert.deepEqual(seen.sort(), [1000, 1000, 2000, undefined].sort());
  assert.equal(messageDeadlineHere(), undefined);
});

test('a sync handler and a throwing one are both awaited', async () => {
  assert.equal(await withMessageDeadline(5, () => 'sync'), 'sync');
  await assert.rejects(
    withMessageDeadline(5, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(messageDeadlineHere(), undefined);
});
