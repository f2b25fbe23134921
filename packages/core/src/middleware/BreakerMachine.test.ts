import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BreakerMachine, type BreakerSettings, REFUSED, WAIT } from './BreakerMachine.js';

const SETTINGS: BreakerSettings = { failureRate: 0.5, minCalls: 4, windowMs: 1000, openMs: 100, halfOpenProbes: 2, maxOpenMs: 350 };

/** A machine and the time it reads, moved by the test. */
function machine(over: Partial<BreakerSettings> = {}) {
  const clock = { t: 1000 };
  return { m: new BreakerMachine({ ...SETTINGS, ...over }, () => clock.t), clock };
}

/** Records calls of `result` for `n` calls let in now. */
function calls(m: BreakerMachine, n: number, result: 'success' | 'failure' | 'neutral') {
  let last: ReturnType<BreakerMachine['record']>;
  for (let i = 0; i < n; i++) last = m.record(m.acquire(), result);
  return last;
}

describe('BreakerMachine (pure, fake clock)', () => {
  it('stays closed below minCalls even at 100% failures (undecided), and opens once the window holds minCalls at the mark', () => {
    const { m } = machine();
    assert.equal(calls(m, 3, 'failure'), undefined);
    assert.equal(m.state, 'closed');
    assert.equal(m.undecided(), true, 'at the mark with too few calls: cannot judge yet');
    assert.deepEqual(m.record(m.acquire(), 'failure'), { to: 'open', openMs: 100, reason: 'failure rate', failureRate: 1 });
    assert.equal(m.state, 'open');
    assert.equal(m.undecided(), false);
  });

  it('opens at exactly the mark (>=), not below it; successes can bring the window to minCalls', () => {
    const { m } = machine();
    calls(m, 3, 'success');
    assert.equal(m.record(m.acquire(), 'failure'), undefined, '1 of 4 = 25% < 50%');
    assert.equal(m.undecided(), false, 'enough calls, below the mark: the dependency looks healthy');
    assert.equal(m.record(m.acquire(), 'failure'), undefined, '2 of 5 = 40%');
    assert.deepEqual(m.record(m.acquire(), 'failure'), { to: 'open', openMs: 100, reason: 'failure rate', failureRate: 0.5 });
  });

  it('neutral calls do not count; the window slides: failures older than windowMs are forgotten', () => {
    const { m, clock } = machine({ failureRate: 0.8 });
    calls(m, 10, 'neutral');
    assert.equal(m.snapshot().calls, 0);
    calls(m, 3, 'failure');
    clock.t += 500;
    assert.equal(calls(m, 1, 'success'), undefined, '3 of 4 = 75%, below 80%');
    assert.deepEqual([m.snapshot().calls, m.snapshot().failures], [4, 3]);
    clock.t += 600; // the three failures are now 1100 ms old, the success 600 ms
    assert.deepEqual([m.snapshot().calls, m.snapshot().failures], [1, 0]);
    assert.equal(calls(m, 3, 'failure'), undefined, '3 of 4 again');
    assert.equal(calls(m, 1, 'failure')?.to, 'open', '4 of 5 = 80%');
  });

  it('open refuses every call until openMs has passed, then half-opens with halfOpenProbes permits', () => {
    const { m, clock } = machine();
    calls(m, 4, 'failure');
    assert.equal(m.acquire(), REFUSED);
    clock.t += 99;
    assert.equal(m.poll(), undefined);
    assert.equal(m.snapshot().remainingMs, 1);
    clock.t += 1;
    assert.deepEqual(m.poll(), { to: 'half-open', probes: 2 });
    const a = m.acquire();
    const b = m.acquire();
    assert.ok(a >= 0 && b >= 0);
    assert.equal(m.acquire(), WAIT, 'every probe is out');
    assert.deepEqual(m.snapshot().probes, { allowed: 2, running: 2, succeeded: 0 });
    assert.equal(m.record(a, 'neutral'), undefined, 'a probe that never called the dependency gives its permit back');
    const c = m.acquire();
    assert.ok(c >= 0);
    assert.equal(m.record(b, 'success'), undefined);
    assert.deepEqual(m.record(c, 'success'), { to: 'closed' }, 'every probe succeeded');
    assert.equal(m.state, 'closed');
    assert.deepEqual([m.snapshot().calls, m.snapshot().failures], [0, 0], 'a fresh window');
  });

  it('a failed probe opens it again for twice as long, capped at maxOpenMs; closing resets openMs', () => {
    const { m, clock } = machine();
    calls(m, 4, 'failure');
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.t = m.openUntil;
      m.poll();
      const t = m.record(m.acquire(), 'failure');
      assert.equal(t?.to, 'open');
      if (t?.to === 'open') seen.push(t.openMs);
    }
    assert.deepEqual(seen, [200, 350, 350, 350]);
    clock.t = m.openUntil;
    m.poll();
    calls(m, 2, 'success');
    assert.equal(m.state, 'closed');
    assert.equal(m.snapshot().openMs, 100);
    assert.deepEqual(calls(m, 4, 'failure'), { to: 'open', openMs: 100, reason: 'failure rate', failureRate: 1 });
  });

  it('a call let in before a transition is not counted after it (its ticket is stale)', () => {
    const { m, clock } = machine();
    const early = m.acquire();
    calls(m, 4, 'failure');
    clock.t = m.openUntil;
    m.poll();
    assert.equal(m.record(early, 'failure'), undefined, 'a call that ran when it opened does not fail the probes');
    assert.equal(m.state, 'half-open');
    assert.deepEqual(m.snapshot().probes, { allowed: 2, running: 0, succeeded: 0 });
  });

  it('trip opens at once for retryAfterMs (at most maxOpenMs), else openMs; while open it only extends', () => {
    const { m, clock } = machine();
    assert.deepEqual(m.trip(1000, 'told'), { to: 'open', openMs: 350, reason: 'told' }, 'capped at maxOpenMs');
    const until = m.openUntil;
    assert.equal(m.trip(10, 'shorter'), undefined);
    assert.equal(m.openUntil, until, 'never shortened');
    clock.t += 300;
    assert.equal(m.trip(200, 'longer'), undefined);
    assert.equal(m.openUntil, clock.t + 200, 'extended');
    clock.t = m.openUntil;
    m.poll();
    assert.deepEqual(m.trip(undefined, 'no hint, half-open'), { to: 'open', openMs: 200, reason: 'no hint, half-open' }, 'grows');
    const fresh = machine().m;
    for (const bad of [Number.NaN, -5, 0, Number.POSITIVE_INFINITY]) {
      const f = machine().m;
      assert.deepEqual(f.trip(bad, 'x'), { to: 'open', openMs: 100, reason: 'x' }, `retryAfterMs ${bad}: openMs`);
    }
    assert.deepEqual(fresh.trip(0.4, 'rounded up'), { to: 'open', openMs: 1, reason: 'rounded up' });
  });
});
