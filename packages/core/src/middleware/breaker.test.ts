import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BreakerOpenError, DeadlineExceededError, DependencyDown, Reject } from '../errors/handlerErrors.js';
import { ClosedError, ConfigError } from '../errors/WarrenError.js';
import type { WarrenEvents } from '../events/events.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { type Ctx, call, fakeCtx, fakeHost, settle, trip } from './breaker.fakes.js';
import { breakerOptionsProblem, breakerPolicy, CircuitBreaker } from './breaker.js';
import { FakeClock } from './clock.fakes.js';
import { ConcurrencyLimit } from './concurrencyLimit.js';

describe('breaker options', () => {
  const good = { failureRate: 0.5, minCalls: 5, windowMs: 1000, openMs: 100, halfOpenProbes: 1 };
  it('names the option and what is wrong with it', () => {
    const cases: Array<[unknown, RegExp]> = [
      [5, /^must be \{ failureRate, minCalls, windowMs, openMs, halfOpenProbes \} or a CircuitBreaker, got 5$/],
      [{ ...good, failureRate: 0 }, /^breaker\.failureRate must be a number above 0 and at most 1 .*got 0$/],
      [{ ...good, failureRate: 1.5 }, /^breaker\.failureRate .* got 1\.5$/],
      [{ ...good, failureRate: Number.NaN }, /^breaker\.failureRate /],
      [{ ...good, minCalls: 0 }, /^breaker\.minCalls must be a whole number from 1 to 1000000, got 0$/],
      [{ ...good, windowMs: 1.5 }, /^breaker\.windowMs must be a whole number/],
      [{ ...good, openMs: undefined }, /^breaker\.openMs must be a whole number from 1 to 86400000, got undefined$/],
      [{ ...good, halfOpenProbes: 0 }, /^breaker\.halfOpenProbes /],
      [{ ...good, maxOpenMs: 50 }, /^breaker\.maxOpenMs must be a whole number from 100 to 86400000, got 50$/],
      [{ ...good, isFailure: true }, /^breaker\.isFailure must be a function/],
      [{ ...good, name: '' }, /^breaker\.name must be a non-empty string/],
      [{ ...good, openMS: 100 }, /^breaker\.openMS is not a known option \(known: failureRate, minCalls/],
    ];
    for (const [value, expected] of cases) assert.match(breakerOptionsProblem(value) ?? 'no problem', expected, JSON.stringify(value));
    assert.equal(breakerOptionsProblem(good), undefined);
    assert.equal(breakerOptionsProblem({ ...good, maxOpenMs: 100, isFailure: () => true, name: 'db' }), undefined);
  });

  it('new CircuitBreaker refuses bad options with a ConfigError; breakerPolicy passes the problem to fail()', () => {
    assert.throws(
      () => new CircuitBreaker({ ...good, minCalls: -1 }),
      (e: unknown) => e instanceof ConfigError && /breaker\.minCalls/.test(e.message),
    );
    const problems: string[] = [];
    const fail = (problem: string): never => {
      problems.push(problem);
      throw new Error(problem);
    };
    assert.throws(() => breakerPolicy({ ...good, failureRate: 2 }, fail));
    assert.throws(() => breakerPolicy('open', fail));
    assert.match(problems[0] ?? '', /^is invalid: breaker\.failureRate must be/);
    assert.match(problems[1] ?? '', /^must be \{ failureRate/);
  });

  it('options make a breaker per consumer, named after it; a CircuitBreaker given is shared', () => {
    const own = breakerPolicy(good, () => assert.fail('valid'));
    const a = own(fakeHost('A').host);
    const b = own(fakeHost('B').host);
    assert.deepEqual([a.describe().breaker, a.describe().consumers], ['A', ['A']]);
    assert.deepEqual([b.describe().breaker, b.describe().consumers], ['B', ['B']]);
    const shared = new CircuitBreaker({ ...good, name: 'payments' });
    const policy = breakerPolicy(shared, () => assert.fail('valid'));
    policy(fakeHost('A').host);
    policy(fakeHost('B').host);
    assert.deepEqual(shared.consumers, ['A', 'B']);
    assert.equal(new CircuitBreaker(good).name, 'breaker');
  });
});

const OPTS = { failureRate: 0.5, minCalls: 2, windowMs: 1000, openMs: 100, halfOpenProbes: 1, maxOpenMs: 400, name: 'db' };

describe('CircuitBreaker (the policy, fake consumers and clock)', () => {
  it('opening pauses every consumer it serves, half-open narrows the window then resumes, closing restores it; one event and one log line per transition', async () => {
    const clock = new FakeClock(1000);
    const events = new TypedEvents<WarrenEvents>();
    const logs: string[] = [];
    const seen: unknown[][] = [];
    events.on('breakerOpen', (...a) => seen.push(['open', ...a]));
    events.on('breakerHalfOpen', (...a) => seen.push(['half-open', ...a]));
    events.on('breakerClosed', (...a) => seen.push(['closed', ...a]));
    const breaker = new CircuitBreaker(OPTS, clock);
    const a = fakeHost('A', events, logs);
    const b = fakeHost('B', events, logs);
    const mwA = breaker.attach(a.host);
    breaker.attach(b.host);

    const first = call(mwA);
    const second = call(mwA);
    first.fail();
    await settle();
    assert.equal(breaker.state, 'closed', 'one call: too few to judge');
    second.fail();
    assert.ok((await first.outcome) instanceof DependencyDown, 'held, then blamed on the outage when it opened');
    assert.ok((await second.outcome) instanceof DependencyDown);
    await settle();
    assert.equal(breaker.state, 'open');
    assert.deepEqual(a.calls, ['pause breaker:db']);
    assert.deepEqual(b.calls, ['pause breaker:db'], 'a shared breaker stops every consumer that calls the dependency');

    clock.advance(100);
    await settle();
    assert.equal(breaker.state, 'half-open');
    assert.deepEqual(a.calls, ['pause breaker:db', 'prefetch 1', 'resume breaker:db'], 'the probe window is set before the subscription');

    const probe = call(mwA);
    probe.succeed();
    assert.equal(await probe.outcome, 'ok');
    await settle();
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(a.calls.slice(3), ['prefetch 10'], 'the window it had before is restored');
    assert.deepEqual(b.calls.slice(3), ['prefetch 10']);

    assert.deepEqual(seen, [
      ['open', 'db', ['A', 'B'], { openMs: 100, reason: 'failure rate', failureRate: 1 }],
      ['half-open', 'db', ['A', 'B'], { probes: 1 }],
      ['closed', 'db', ['A', 'B']],
    ]);
    assert.deepEqual(logs, [
      'warn A: circuit breaker open: intake stopped for 100 ms',
      'info A: circuit breaker half-open: letting probes through',
      'info A: circuit breaker closed: intake resumed',
    ]);
  });

  it('while open, deliveries go back uncounted; those let in but not at their handler yet are put back on open; running ones finish', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker(OPTS, clock);
    const a = fakeHost('A');
    const mw = breaker.attach(a.host);
    // One let in, waiting inside (for a slot, say): its handler has not started.
    const waitingCtx = fakeCtx();
    const waiting = mw.run(
      waitingCtx,
      (c) => new Promise<void>((_, reject) => c.signal.addEventListener('abort', () => reject(c.abortReason))),
    );
    const running = call(mw);
    await settle();
    const tripper = call(mw);
    tripper.fail(new DependencyDown({ retryAfterMs: 250 }));
    const tripped = await tripper.outcome;
    assert.ok(tripped instanceof DependencyDown, 'its own error: outcome.ts puts it back uncounted');
    await assert.rejects(waiting, BreakerOpenError);
    const refused = await call(mw).outcome;
    assert.ok(refused instanceof BreakerOpenError, 'outcome.ts puts it back uncounted');
    running.succeed();
    assert.equal(await running.outcome, 'ok', 'a handler running when it opened finishes');
    const d = mw.describe();
    assert.equal(d.state, 'open');
    assert.equal(d.remainingMs, 250, "retryAfterMs, not openMs: the dependency's word");
    assert.equal(d.putBack, 3);
    clock.advance(249);
    assert.equal(breaker.state, 'open');
    clock.advance(1);
    assert.equal(breaker.state, 'half-open');
  });

  it('on open, exactly the deliveries let in and not yet at their handler are put back, however calls ended before', async () => {
    const breaker = new CircuitBreaker(OPTS, new FakeClock(1000));
    const mw = breaker.attach(fakeHost('A').host);
    const parked = (): Promise<void> =>
      mw.run(fakeCtx(), (c) => new Promise<void>((_, reject) => c.signal.addEventListener('abort', () => reject(c.abortReason))));
    const running = [call(mw), call(mw)];
    const waiting = [parked(), parked()];
    running.push(call(mw), call(mw));
    waiting.push(parked());
    const ended = [running[2], running[0], running[3]];
    for (const c of ended) c?.succeed();
    await Promise.all(ended.map((c) => c?.result));
    waiting.push(parked());
    await trip(mw);
    for (const w of waiting) await assert.rejects(w, BreakerOpenError);
    assert.equal(running[1]?.ctx.aborted, false, 'a running handler is left to finish');
    running[1]?.succeed();
    assert.equal(await running[1]?.outcome, 'ok');
    assert.equal(mw.describe().putBack, 5, 'four waiting, and the one that threw DependencyDown');
  });

  it('a handler throwing DependencyDown opens the breaker before the delivery waiting for its concurrency slot starts', async () => {
    // DESIGN.md's order: breaker, then concurrency. The waiter was let in while the breaker was
    // closed; it must be put back when the breaker opens, not handed the freed slot first.
    const mw = new CircuitBreaker(OPTS, new FakeClock(1000)).attach(fakeHost('A').host);
    const gate = new ConcurrencyLimit(1);
    const started: string[] = [];
    const through = (name: string, handler: () => Promise<void>): Promise<void> =>
      mw.run(fakeCtx(), (ctx) =>
        gate.run(ctx, (c) => {
          (c as Ctx).started = true;
          started.push(name);
          return handler();
        }),
      );
    const first = through('first', () => Promise.reject(new DependencyDown({ retryAfterMs: 1000 })));
    const second = through('second', async () => undefined);
    await assert.rejects(first, DependencyDown);
    await assert.rejects(second, BreakerOpenError);
    assert.deepEqual(started, ['first'], 'the waiting delivery never reached its handler');
    await settle();
    assert.equal(gate.active, 0, 'the slot is free again once handed on');
  });

  it('a failure the window cannot judge yet waits: released with its own error once the window looks healthy, or after windowMs', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker({ ...OPTS, minCalls: 4 }, clock);
    const mw = breaker.attach(fakeHost('A').host);
    const own = new Error('bad row');
    const failing = call(mw);
    failing.fail(own);
    await settle();
    assert.equal(breaker.describe().held, 1);
    const ok1 = call(mw);
    ok1.succeed();
    await ok1.result;
    assert.equal(breaker.describe().held, 1, '1 of 2 failed: still at the mark');
    const ok2 = call(mw);
    ok2.succeed();
    assert.equal(await failing.outcome, own, '1 of 3: below the mark, so it was the message: it fails as it would have');
    assert.equal(breaker.describe().held, 0);

    clock.advance(2000); // an empty window
    const lonely = call(mw);
    lonely.fail(own);
    await settle();
    assert.equal(breaker.describe().held, 1);
    clock.advance(999);
    await settle();
    assert.equal(breaker.describe().held, 1);
    clock.advance(1);
    assert.equal(await lonely.outcome, own, 'it left the window without a verdict');
    assert.equal(breaker.state, 'closed');
  });

  it('at most prefetch - 1 failures of a consumer are held: one slot stays free so calls go on', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker({ ...OPTS, minCalls: 10 }, clock);
    const mw = breaker.attach(fakeHost('A', undefined, undefined, 3).host);
    const [first, second, third] = [call(mw), call(mw), call(mw)];
    for (const f of [first, second, third]) f.fail();
    await settle();
    assert.equal(breaker.describe().held, 2);
    assert.equal(((await third.outcome) as Error).message, 'downstream 500', 'the third went its own way');
  });

  it('a held failure leaves when its deadline aborts it, and when its consumer stops', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker({ ...OPTS, minCalls: 10 }, clock);
    const a = fakeHost('A');
    const mw = breaker.attach(a.host);
    const timedOut = call(mw);
    timedOut.fail();
    await settle();
    const deadline = new DeadlineExceededError('too slow');
    timedOut.ctx.abort(deadline);
    assert.equal(await timedOut.outcome, deadline, "whoever aborted it decides: the deadline's own error");
    const stopping = call(mw);
    const own = new Error('x');
    stopping.fail(own);
    await settle();
    a.stop();
    assert.equal(await stopping.outcome, own);
    assert.deepEqual(breaker.consumers, []);
  });

  it('half-open: deliveries beyond the probes wait for the verdict; closed lets them through, a failed probe sends them back', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker(OPTS, clock);
    const mw = breaker.attach(fakeHost('A').host);
    await trip(mw);
    clock.advance(100);
    const probe = call(mw);
    const waiter = call(mw);
    await settle();
    assert.equal(waiter.ctx.started, false);
    assert.equal(breaker.describe().waiting, 1);
    probe.succeed();
    await probe.result;
    await settle();
    assert.equal(waiter.ctx.started, true, 'closed: it runs');
    waiter.succeed();
    assert.equal(await waiter.outcome, 'ok');

    await trip(mw);
    clock.advance(100);
    const probe2 = call(mw);
    const waiter2 = call(mw);
    probe2.fail();
    assert.ok((await probe2.outcome) instanceof DependencyDown, 'a failed probe is blamed on the outage: put back uncounted');
    assert.ok((await waiter2.outcome) instanceof BreakerOpenError);
    assert.equal(breaker.describe().openMs, 200, 'open again, for twice as long');
  });

  it('which failures count: isFailure decides (the others count as calls that went through); shutdown and never-started calls do not count', async () => {
    const clock = new FakeClock(1000);
    const mine = new CircuitBreaker({ ...OPTS, isFailure: (e) => (e as { status?: number }).status === 503 }, clock);
    const mw = mine.attach(fakeHost('A').host);
    for (let i = 0; i < 4; i++) {
      const c = call(mw);
      c.fail(Object.assign(new Error('not found'), { status: 404 }));
      await c.outcome;
    }
    assert.deepEqual([mine.describe().calls, mine.describe().failures], [4, 0]);

    const byDefault = new CircuitBreaker(OPTS, clock);
    const mw2 = byDefault.attach(fakeHost('B').host);
    const rejected = call(mw2);
    rejected.fail(new Reject('bad message'));
    assert.ok((await rejected.outcome) instanceof Reject);
    const shutdown = call(mw2);
    shutdown.ctx.abort(new ClosedError('worker is shutting down'));
    shutdown.fail(new Error('aborted'));
    await shutdown.outcome;
    const neverStarted = fakeCtx();
    await mw2.run(neverStarted, () => Promise.reject(new Error('waited for a token, then gave up'))).catch(() => undefined);
    assert.deepEqual(
      [byDefault.describe().calls, byDefault.describe().failures],
      [1, 0],
      'only the Reject counted, as a call that went through',
    );

    const throwing = new CircuitBreaker(
      {
        ...OPTS,
        isFailure: () => {
          throw new Error('bug in isFailure');
        },
      },
      clock,
    );
    const mw3 = throwing.attach(fakeHost('C').host);
    call(mw3).fail();
    call(mw3).fail();
    await settle();
    assert.equal(throwing.state, 'open', 'an isFailure that throws counts the call as failed');
  });

  it('a breaker whose consumers have all stopped never throws: a late call still moves it, and it reports no consumers', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker(OPTS, clock);
    const a = fakeHost('A');
    const mw = breaker.attach(a.host);
    const late = call(mw);
    await settle();
    a.stop();
    late.fail(new DependencyDown({ retryAfterMs: 50 }));
    assert.ok((await late.outcome) instanceof DependencyDown);
    assert.equal(breaker.state, 'open');
    clock.advance(50);
    assert.equal(breaker.state, 'half-open');
    assert.deepEqual(breaker.describe().consumers, []);
    assert.deepEqual(a.calls, [], 'a stopped consumer is left alone');
  });

  it('a consumer attached to a shared breaker that is open starts paused', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker(OPTS, clock);
    const mw = breaker.attach(fakeHost('A').host);
    await trip(mw);
    const late = fakeHost('B');
    breaker.attach(late.host);
    await settle();
    assert.deepEqual(late.calls, ['pause breaker:db']);
  });

  it('describe() gives the state, the window, the open time and the consumers for /health', async () => {
    const clock = new FakeClock(1000);
    const breaker = new CircuitBreaker(OPTS, clock);
    const mw = breaker.attach(fakeHost('A').host);
    const ok = call(mw);
    ok.succeed();
    await ok.result;
    const d = mw.describe();
    assert.deepEqual(
      { ...d, openUntil: undefined },
      {
        breaker: 'db',
        state: 'closed',
        failureRate: 0,
        calls: 1,
        failures: 0,
        mark: { failureRate: 0.5, minCalls: 2, windowMs: 1000 },
        openMs: 100,
        remainingMs: null,
        openUntil: undefined,
        probes: null,
        held: 0,
        waiting: 0,
        transitions: 0,
        consumers: ['A'],
        putBack: 0,
      },
    );
    assert.equal(d.openUntil, null);
    assert.equal('name' in d, false, "health prefixes the policy's name; describe() must not overwrite it");
  });
});
