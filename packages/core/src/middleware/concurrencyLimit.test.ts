import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delivery } from '../consumer/Delivery.js';
import { ConcurrencyLimit } from './concurrencyLimit.js';

test('at most `limit` run at once, the rest wait and start in arrival order, and slots survive failures', async () => {
  const limit = new ConcurrencyLimit(2);
  const started: number[] = [];
  const release: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  const runs = [0, 1, 2, 3, 4].map((i) =>
    limit
      .run({ id: i } as unknown as Delivery, async () => {
        started.push(i);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        if (i === 1) throw new Error('handler failed');
      })
      .catch(() => 'failed'),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(limit.describe(), { limit: 2, active: 2, waiting: 3, maxSeen: 2 });
  for (let n = 0; n < 5; n++) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(runs), [undefined, 'failed', undefined, undefined, undefined]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(maxRunning, 2);
  assert.equal(limit.active, 0);
});
