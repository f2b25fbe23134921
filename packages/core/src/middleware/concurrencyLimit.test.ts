import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimit } from './concurrencyLimit.js';
import type { ConsumeContext } from './Middleware.js';
import { WATCH_ABORT } from './watchAbort.js';

/** The part of a Delivery the limiter reads: whether it was aborted, and its signal. */
function fakeDelivery(): ConsumeContext & { abortNow(): void } {
  const controller = new AbortController();
  const reason = new Error('deadline');
  return {
    get aborted() {
      return controller.signal.aborted;
    },
    abortReason: reason,
    signal: controller.signal,
    abortNow: () => controller.abort(reason),
  } as unknown as ConsumeContext & { abortNow(): void };
}

/** A context with the cheap abort watch, as a Delivery has: reading its signal fails the test. */
function watchableDelivery(): ConsumeContext & { abortNow(): void } {
  const reason = new Error('deadline');
  let aborted = false;
  let watchers: Array<() => void> = [];
  return {
    get aborted() {
      return aborted;
    },
    abortReason: reason,
    get signal(): AbortSignal {
      throw new Error('the limiter read the signal of a context that has the watch');
    },
    [WATCH_ABORT](fn: () => void) {
      watchers.push(fn);
      return () => {
        watchers = watchers.filter((w) => w !== fn);
      };
    },
    abortNow() {
      aborted = true;
      for (const fn of watchers) fn();
      watchers = [];
    },
  } as unknown as ConsumeContext & { abortNow(): void };
}

test('at most `limit` run at once, the rest wait and start in arrival order, and slots survive failures', async () => {
  const limit = new ConcurrencyLimit(2);
  const started: number[] = [];
  const release: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  const runs = [0, 1, 2, 3, 4].map((i) =>
    limit
      .run(fakeDelivery(), async () => {
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

for (const [kind, fake] of [
  ['its signal', fakeDelivery],
  ['the cheap watch', watchableDelivery],
] as const) {
  test(`a waiter whose delivery is aborted leaves the line at once and never runs (watched through ${kind})`, async () => {
    const limit = new ConcurrencyLimit(1);
    let release: () => void = () => undefined;
    const first = limit.run(fake(), () => new Promise<void>((r) => (release = r)));
    const ran: string[] = [];
    const waiters = Array.from({ length: 100 }, () => fake());
    const runs = waiters.map((d, i) => limit.run(d, async () => void ran.push(`w${i}`)).catch((e: Error) => e.message));
    const last = fake();
    const lastRun = limit.run(last, async () => void ran.push('last'));
    assert.equal(limit.waiting, 101);
    for (const d of waiters) d.abortNow();
    assert.equal(limit.waiting, 1, 'aborted waiters hold no memory');
    assert.deepEqual(await Promise.all(runs), Array(100).fill('deadline'));
    release();
    await Promise.all([first, lastRun]);
    assert.deepEqual(ran, ['last'], 'aborted waiters never took a slot');
    assert.equal(limit.active, 0);
  });
}

test('a raised limit starts waiters at once; a lowered one holds as handlers end, in arrival order', async () => {
  const limit = new ConcurrencyLimit(1);
  const started: number[] = [];
  const release = new Map<number, () => void>();
  const runs = [0, 1, 2, 3, 4, 5].map((i) =>
    limit.run(fakeDelivery(), async () => {
      started.push(i);
      await new Promise<void>((r) => release.set(i, r));
    }),
  );
  const tick = () => new Promise((r) => setImmediate(r));
  await tick();
  assert.deepEqual(started, [0]);
  limit.limit = 3;
  await tick();
  assert.deepEqual(started, [0, 1, 2], 'raised: two waiters started without waiting for a release');
  assert.equal(limit.active, 3);
  limit.limit = 1;
  release.get(0)?.();
  release.get(1)?.();
  await tick();
  assert.deepEqual(started, [0, 1, 2], 'lowered to 1 with 1 still running: no waiter starts');
  assert.equal(limit.active, 1);
  release.get(2)?.();
  await tick();
  assert.deepEqual(started, [0, 1, 2, 3], 'the next one starts only once the running count is below the new limit');
  assert.equal(limit.maxSeen, 3);
  for (const i of [3, 4, 5]) {
    release.get(i)?.();
    await tick();
  }
  await Promise.all(runs);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(limit.active, 0);
});

test('a failed handler hands its slot on only in a later macrotask, and a newcomer meanwhile waits its turn', async () => {
  const limit = new ConcurrencyLimit(1);
  const started: string[] = [];
  const failing = limit.run(fakeDelivery(), () => {
    started.push('failing');
    return Promise.reject(new Error('dependency down'));
  });
  const waiter = limit.run(fakeDelivery(), async () => void started.push('waiter'));
  await assert.rejects(failing, /dependency down/);
  // The error has reached the caller (and any policy around this one); the waiter has not started.
  assert.deepEqual(started, ['failing']);
  assert.equal(limit.active, 1, 'the slot stays taken until it is handed on');
  const newcomer = limit.run(fakeDelivery(), async () => void started.push('newcomer'));
  await Promise.all([waiter, newcomer]);
  assert.deepEqual(started, ['failing', 'waiter', 'newcomer']);
  assert.equal(limit.active, 0);
});
