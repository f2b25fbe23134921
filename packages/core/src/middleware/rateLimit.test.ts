import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors/WarrenError.js';
import { FakeClock } from './clock.fakes.js';
import type { ConsumeContext, ConsumerHost, Next } from './Middleware.js';
import { RateLimiter, rateLimitPolicy } from './rateLimit.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The part of a Delivery the limiter reads: whether it was aborted, and its signal. */
function fakeDelivery(id = ''): ConsumeContext & { abortNow(): void } {
  const controller = new AbortController();
  const reason = new Error(`aborted ${id}`);
  return {
    messageId: id,
    get aborted() {
      return controller.signal.aborted;
    },
    abortReason: reason,
    signal: controller.signal,
    abortNow: () => controller.abort(reason),
  } as unknown as ConsumeContext & { abortNow(): void };
}

function fakeHost(consumer: string, queue: string, stats?: () => { ready: number; consumers: number }): ConsumerHost & { asked: number } {
  const host = {
    consumer,
    queue,
    stopSignal: new AbortController().signal,
    asked: 0,
    queueStats: async () => {
      host.asked++;
      return stats?.();
    },
  };
  return host as unknown as ConsumerHost & { asked: number };
}

/** A pipeline end that records when each delivery reached it (by the fake clock). */
function recorder(clock: FakeClock): { next: Next; ran: Array<[string, number]> } {
  const ran: Array<[string, number]> = [];
  return { ran, next: async (ctx) => void ran.push([ctx.messageId as string, clock.t]) };
}

test('a delivery that finds a token goes on at once: next is called before run returns', () => {
  const limiter = new RateLimiter({ perSecond: 10, burst: 2 }, new FakeClock());
  const policy = limiter.attach(fakeHost('c', 'q'));
  let called = 0;
  const handlerPromise = Promise.resolve();
  const next: Next = () => {
    called++;
    return handlerPromise;
  };
  assert.equal(policy.run(fakeDelivery('a'), next), handlerPromise, 'no promise of its own');
  assert.equal(called, 1);
  void policy.run(fakeDelivery('b'), next);
  assert.equal(called, 2);
  void policy.run(fakeDelivery('c'), next);
  assert.equal(called, 2, 'the burst is spent: the third waits');
});

test('the rest wait in arrival order, one per 1/perSecond, on one timer', async () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter({ perSecond: 10 }, clock);
  const policy = limiter.attach(fakeHost('c', 'q'));
  const { next, ran } = recorder(clock);
  const runs = ['a', 'b', 'c', 'd', 'e'].map((id) => policy.run(fakeDelivery(id), next));
  await flush();
  assert.deepEqual(ran, [['a', 0]]);
  assert.equal(clock.pending, 1, 'one timer for the whole line');
  assert.deepEqual(policy.describe(), {
    perSecond: 10,
    burst: 1,
    tokens: 0,
    waiting: 4,
    taken: 1,
    limited: 4,
    waitedMs: 0,
    maxWaitedMs: 0,
  });
  await clock.advanceSettling(1000);
  await Promise.all(runs);
  assert.deepEqual(ran, [
    ['a', 0],
    ['b', 100],
    ['c', 200],
    ['d', 300],
    ['e', 400],
  ]);
  assert.equal(clock.pending, 0, 'no timer while nobody waits');
  assert.deepEqual(policy.describe(), {
    perSecond: 10,
    burst: 1,
    tokens: 1,
    waiting: 0,
    taken: 5,
    limited: 4,
    waitedMs: 1000,
    maxWaitedMs: 400,
  });
});

test('a newcomer never jumps the line, even when a token is there before the timer fires', async () => {
  const clock = new FakeClock();
  const policy = new RateLimiter({ perSecond: 10 }, clock).attach(fakeHost('c', 'q'));
  const { next, ran } = recorder(clock);
  const runs = [policy.run(fakeDelivery('a'), next), policy.run(fakeDelivery('b'), next)];
  clock.t = 150; // the event loop was busy: a token is whole, the timer has not fired yet
  runs.push(policy.run(fakeDelivery('late'), next));
  await flush();
  assert.deepEqual(
    ran.map(([id]) => id),
    ['a'],
  );
  await clock.advanceSettling(1000);
  await Promise.all(runs);
  assert.deepEqual(
    ran.map(([id]) => id),
    ['a', 'b', 'late'],
  );
});

test('an aborted waiter leaves at once with its reason, never runs, and spends no token', async () => {
  const clock = new FakeClock();
  const policy = new RateLimiter({ perSecond: 10 }, clock).attach(fakeHost('c', 'q'));
  const { next, ran } = recorder(clock);
  void policy.run(fakeDelivery('first'), next);
  const waiters = Array.from({ length: 50 }, (_, i) => fakeDelivery(`w${i}`));
  const runs = waiters.map((d) => policy.run(d, next).catch((e: Error) => e.message));
  const last = fakeDelivery('last');
  const lastRun = policy.run(last, next);
  for (const d of waiters) d.abortNow();
  assert.equal(policy.describe().waiting, 1, 'aborted waiters hold no memory');
  assert.deepEqual(
    await Promise.all(runs),
    waiters.map((_, i) => `aborted w${i}`),
  );
  await clock.advanceSettling(100);
  await lastRun;
  assert.deepEqual(ran, [
    ['first', 0],
    ['last', 100],
  ]);
  // When the whole line leaves, so does the timer; an already aborted delivery never queues.
  const alone = fakeDelivery('alone');
  const aloneRun = policy.run(alone, next).catch((e: Error) => e.message);
  assert.equal(clock.pending, 1);
  alone.abortNow();
  assert.equal(clock.pending, 0);
  assert.equal(await aloneRun, 'aborted alone');
  await assert.rejects(policy.run(alone, next), /aborted alone/);
  assert.equal(policy.describe().waiting, 0);
});

test('a shared limiter is one bucket for every consumer attached to it, served in arrival order', async () => {
  const clock = new FakeClock();
  const shared = new RateLimiter({ perSecond: 5, name: 'billingApi' }, clock);
  const one = shared.attach(fakeHost('Invoices', 'invoices'));
  const two = shared.attach(fakeHost('Refunds', 'refunds'));
  const { next, ran } = recorder(clock);
  const runs = [
    one.run(fakeDelivery('i1'), next),
    two.run(fakeDelivery('r1'), next),
    one.run(fakeDelivery('i2'), next),
    two.run(fakeDelivery('r2'), next),
  ];
  await clock.advanceSettling(1000);
  await Promise.all(runs);
  assert.deepEqual(ran, [
    ['i1', 0],
    ['r1', 200],
    ['i2', 400],
    ['r2', 600],
  ]);
  assert.equal(one.name, 'billingApi');
  assert.deepEqual(one.describe(), two.describe());
  assert.deepEqual(one.describe().consumers, ['Invoices', 'Refunds']);
});

test("across: 'queue' takes this process's share of perSecond from the queue's consumer count, read at a bounded rate", async () => {
  const clock = new FakeClock();
  let consumers = 4;
  const limiter = new RateLimiter({ perSecond: 100, across: 'queue', refreshMs: 1000 }, clock);
  const host = fakeHost('W', 'jobs', () => ({ ready: 10, consumers }));
  const policy = limiter.attach(host);
  const next: Next = () => Promise.resolve();
  assert.equal(limiter.perSecondNow, 100, 'until the broker answers, the whole rate');
  void policy.run(fakeDelivery(), next);
  await flush();
  assert.equal(host.asked, 1);
  assert.equal(limiter.perSecondNow, 25);
  for (let i = 0; i < 20; i++) {
    clock.t += 40;
    void policy.run(fakeDelivery(), next);
  }
  await clock.advanceSettling(5000);
  assert.equal(host.asked, 1, 'asked once per refreshMs however many deliveries come');
  assert.deepEqual(policy.describe().queueConsumers, 4);
  consumers = 2;
  void policy.run(fakeDelivery(), next);
  await clock.advanceSettling(100);
  assert.equal(host.asked, 2);
  assert.equal(limiter.perSecondNow, 50);
  // No consumers counted (this worker is between subscriptions): never more than the whole rate.
  consumers = 0;
  clock.t += 1000;
  void policy.run(fakeDelivery(), next);
  await flush();
  assert.equal(limiter.perSecondNow, 100);
});

test("a shared across: 'queue' limiter counts its own consumers in its share, and refuses a second queue", async () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter({ perSecond: 90, across: 'queue' }, clock);
  const a = fakeHost('A', 'jobs', () => ({ ready: 0, consumers: 3 }));
  const policy = limiter.attach(a);
  limiter.attach(fakeHost('B', 'jobs'));
  void policy.run(fakeDelivery(), () => Promise.resolve());
  await flush();
  assert.equal(limiter.perSecondNow, 60, '2 of the 3 consumers are here');
  assert.throws(() => limiter.attach(fakeHost('C', 'other')), ConfigError);
});

test('a change of share re-arms the timer for the new rate', async () => {
  const clock = new FakeClock();
  const limiter = new RateLimiter({ perSecond: 10, across: 'queue' }, clock);
  let answer: (v: { ready: number; consumers: number }) => void = () => undefined;
  const host = fakeHost('W', 'jobs');
  host.queueStats = () => new Promise((r) => (answer = r));
  const policy = limiter.attach(host);
  const { next, ran } = recorder(clock);
  const runs = [policy.run(fakeDelivery('a'), next), policy.run(fakeDelivery('b'), next)];
  answer({ ready: 0, consumers: 2 }); // 5/s from now: b is due at 200 ms, not 100
  await flush();
  await clock.advanceSettling(1000);
  await Promise.all(runs);
  assert.deepEqual(ran, [
    ['a', 0],
    ['b', 200],
  ]);
});

test('rateLimitPolicy: a bad option is refused naming what is wrong; good ones make a bucket per consumer', () => {
  const problems: string[] = [];
  const fail = (problem: string): never => {
    problems.push(problem);
    throw new ConfigError(problem);
  };
  const bad: unknown[] = [
    5,
    null,
    [],
    {},
    { perSecond: 0 },
    { perSecond: -1 },
    { perSecond: Number.NaN },
    { perSecond: Number.POSITIVE_INFINITY },
    { perSecond: '50' },
    { perSecond: 10, burst: 0 },
    { perSecond: 10, burst: 1.5 },
    { perSecond: 10, perMinute: 5 },
    { perSecond: 10, across: 'cluster' },
    { perSecond: 10, refreshMs: 1000 },
    { perSecond: 10, across: 'queue', refreshMs: 10 },
    { perSecond: 10, name: '' },
  ];
  for (const value of bad) assert.throws(() => rateLimitPolicy(value, fail), ConfigError, JSON.stringify(value));
  assert.deepEqual(problems, [
    'must be { perSecond, burst? } or a RateLimiter made once and shared, got 5',
    'must be { perSecond, burst? } or a RateLimiter made once and shared, got null',
    'must be { perSecond, burst? } or a RateLimiter made once and shared, got []',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got undefined',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got 0',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got -1',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got NaN',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got Infinity',
    'needs perSecond: tokens per second, above 0 and at most 1000000, got "50"',
    'needs burst: a whole number of tokens from 1 to 1000000, got 0',
    'needs burst: a whole number of tokens from 1 to 1000000, got 1.5',
    'has an unknown key "perMinute" (known: perSecond, burst, across, refreshMs, name)',
    "needs across: 'consumer' or 'queue', got \"cluster\"",
    "has refreshMs, which only applies with across: 'queue'",
    'needs refreshMs: a whole number of ms from 100 to 3600000, got 10',
    'needs name: a non-empty string, got ""',
  ]);
  assert.throws(
    () => new RateLimiter({ perSecond: -1 }),
    (e) => e instanceof ConfigError && e.message.startsWith('RateLimiter needs perSecond'),
  );

  const own = rateLimitPolicy({ perSecond: 0.5, burst: 3 }, fail);
  const a = own(fakeHost('A', 'a'));
  const b = own(fakeHost('B', 'b'));
  assert.equal(a.name, 'rateLimit');
  assert.equal(a.describe().burst, 3);
  assert.equal(a.describe().consumers, undefined, 'each consumer has a bucket of its own');
  void a.run(fakeDelivery(), () => Promise.resolve());
  assert.equal(a.describe().taken, 1);
  assert.equal(b.describe().taken, 0);

  const shared = new RateLimiter({ perSecond: 1 });
  const sharedPolicy = rateLimitPolicy(shared, fail);
  sharedPolicy(fakeHost('A', 'a'));
  sharedPolicy(fakeHost('B', 'b'));
  assert.deepEqual(shared.describe().consumers, ['A', 'B']);
});
