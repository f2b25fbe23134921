import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type LimitChange, LimitEstimator, WINDOW_MS } from './limitEstimator.js';

const OPTIONS = { min: 1, max: 512, tolerance: 1.25, backoffRatio: 0.9 };

/**
 * A downstream with `capacity` servers, in virtual time: `queue` serves calls past capacity in
 * turn (latency grows with the backlog, throughput stays at capacity); `collapse` slows every
 * call by a whole base latency per extra call (throughput falls past capacity). Latency is
 * multiplied by seeded lognormal noise of `sigma`.
 */
interface Model {
  kind: 'queue' | 'collapse';
  capacity: number;
  baseMs?: number;
  sigma?: number;
}

interface Run {
  /** The limit every 250 ms. */
  limits: number[];
  changes: Array<LimitChange & { at: number }>;
  completed: number;
  latencies: number[];
}

/** Runs handlers back to back under the estimator's limit for `ms`, with `capacity` changed at the times given. */
function simulate(model: Model, ms: number, capacityAt: Array<[number, number]> = [], estimator = new LimitEstimator(OPTIONS, 0)): Run {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const base = model.baseMs ?? 20;
  let capacity = model.capacity;
  const ends: Array<{ at: number; started: number; inFlight: number }> = [];
  const run: Run = { limits: [], changes: [], completed: 0, latencies: [] };
  let running = 0;
  let now = 0;
  const fill = (): void => {
    while (running < estimator.limit) {
      running++;
      const over = Math.max(0, running - capacity);
      const factor = model.kind === 'queue' ? Math.max(1, running / capacity) : 1 + over;
      const z = Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
      const sigma = model.sigma ?? 0.02;
      const latency = base * factor * Math.exp(sigma * z - (sigma * sigma) / 2);
      ends.push({ at: now + latency, started: now, inFlight: running });
    }
    ends.sort((a, b) => a.at - b.at);
  };
  const changesAt = [...capacityAt];
  fill();
  let nextLog = 0;
  while (ends.length > 0 && now < ms) {
    const end = ends.shift() as (typeof ends)[number];
    now = end.at;
    while (changesAt.length > 0 && (changesAt[0] as [number, number])[0] <= now) capacity = (changesAt.shift() as [number, number])[1];
    while (nextLog <= now) {
      run.limits.push(estimator.limit);
      nextLog += 250;
    }
    running--;
    run.completed++;
    run.latencies.push(now - end.started);
    const change = estimator.sample(now - end.started, end.inFlight, false, now);
    if (change !== undefined) run.changes.push({ ...change, at: now });
    fill();
  }
  return run;
}

/** The limits logged between `from` and `to` ms. */
const between = (run: Run, from: number, to: number): number[] => run.limits.slice(from / 250, to / 250);

describe('LimitEstimator', () => {
  for (const kind of ['queue', 'collapse'] as const) {
    for (const capacity of [4, 16, 64]) {
      test(`${kind} downstream, capacity ${capacity}: from min it reaches capacity within 3 s and stays within [0.75C, 1.5C]`, () => {
        const run = simulate({ kind, capacity }, 20_000);
        const first = run.limits.findIndex((l) => l >= capacity);
        assert.ok(first >= 0 && first * 250 <= 3000, `reached ${capacity} after ${first * 250} ms`);
        const settled = between(run, 5000, 20_000);
        assert.ok(Math.min(...settled) >= Math.floor(capacity * 0.75), `low ${Math.min(...settled)}`);
        assert.ok(Math.max(...settled) <= Math.ceil(capacity * 1.5), `high ${Math.max(...settled)}`);
        // Throughput near the downstream's best: capacity / base latency.
        const best = (capacity / 20) * 20_000;
        assert.ok(run.completed >= 0.8 * best, `${run.completed} of at most ${best}`);
      });
    }
  }

  test('follows the capacity down, then back up', () => {
    const run = simulate({ kind: 'queue', capacity: 32 }, 24_000, [
      [8000, 8],
      [16_000, 32],
    ]);
    const down = between(run, 10_000, 16_000);
    assert.ok(Math.max(...down) <= 12 && Math.min(...down) >= 6, `after the drop: ${down}`);
    const up = between(run, 20_000, 24_000);
    assert.ok(Math.min(...up) >= 24, `after the rise: ${up}`);
  });

  test('a collapsing downstream is probed rarely: the waits double up to 16 windows', () => {
    const run = simulate({ kind: 'collapse', capacity: 16 }, 20_000);
    const probesAbove = run.changes.filter((c) => c.at > 5000 && c.limit > 16).length;
    // 15 s of 100 ms windows; a probe at most every 17 windows once the wait is long.
    assert.ok(probesAbove <= 15_000 / WINDOW_MS / 17 + 2, `${probesAbove} probes above capacity`);
    const sorted = run.latencies.slice(run.latencies.length / 4).sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] as number;
    assert.ok(p99 < 2.2 * 20, `p99 ${p99} ms`);
  });

  test('noisy latency (lognormal, sigma 0.6) is not taken for queueing: the limit stays near capacity', () => {
    const run = simulate({ kind: 'queue', capacity: 16, sigma: 0.6 }, 20_000);
    const settled = between(run, 5000, 20_000);
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
    assert.ok(mean >= 12 && mean <= 24, `mean limit ${mean}`);
  });

  test('failures cut the limit by backoffRatio (at least by one), down to min', () => {
    const estimator = new LimitEstimator({ ...OPTIONS, min: 2 }, 0);
    // Slow start to 16 on quick, steady samples.
    let now = 0;
    const window = (failed: boolean, inFlight = estimator.limit): LimitChange | undefined => {
      let change: LimitChange | undefined;
      for (let i = 0; i < Math.max(10, estimator.limit); i++) {
        now += WINDOW_MS / 10;
        change = estimator.sample(5, inFlight, failed, now) ?? change;
      }
      return change;
    };
    while (estimator.limit < 16) assert.equal(window(false)?.reason, 'slow-start');
    assert.equal(estimator.limit, 16);
    assert.deepEqual(window(true), { limit: 14, previous: 16, reason: 'failures' }); // floor(16 × 0.9)
    assert.deepEqual(window(true), { limit: 12, previous: 14, reason: 'failures' });
    while (estimator.limit > 2) window(true);
    assert.equal(window(true), undefined, 'no change below min');
    assert.equal(estimator.limit, 2);
    assert.deepEqual(window(false), { limit: 3, previous: 2, reason: 'probe' }, 'after failures: one up per window');
  });

  test('does not grow while fewer than half the slots are used (app limited)', () => {
    const estimator = new LimitEstimator({ ...OPTIONS, min: 8 }, 0);
    let now = 0;
    for (let i = 0; i < 200; i++) {
      now += 20;
      assert.equal(estimator.sample(5, 3, false, now), undefined);
    }
    assert.equal(estimator.limit, 8);
    assert.ok(Math.abs((estimator.rttNoLoad as number) - 5) < 0.01, 'latency is still learnt');
  });

  test('a window counts only handlers that started in it, and needs 100 ms and max(10, limit) samples', () => {
    const estimator = new LimitEstimator(OPTIONS, 1000);
    assert.equal(estimator.sample(50, 1, false, 1010), undefined);
    for (let i = 1; i <= 50; i++) estimator.sample(100, 1, false, 1010 + i); // all started before 1000
    assert.equal(estimator.rttRecent, undefined, 'no window closed on handlers of an earlier limit');
    let changed: LimitChange | undefined;
    for (let i = 1; i <= 9; i++) changed = estimator.sample(5, 1, false, 1100 + i);
    assert.equal(changed, undefined, '9 samples are not a window');
    changed = estimator.sample(5, 1, false, 1110);
    assert.deepEqual(changed, { limit: 2, previous: 1, reason: 'slow-start' });
  });

  test('never leaves [min, max]', () => {
    const estimator = new LimitEstimator({ ...OPTIONS, min: 3, max: 5 }, 0);
    assert.equal(estimator.limit, 3);
    const run = simulate({ kind: 'queue', capacity: 64 }, 5000, [], estimator);
    assert.ok(
      run.limits.every((l) => l >= 3 && l <= 5),
      `${run.limits}`,
    );
    assert.equal(estimator.limit, 5);
  });

  test('moves at most once per 100 ms window', () => {
    const run = simulate({ kind: 'queue', capacity: 32 }, 10_000, [[5000, 4]]);
    for (let i = 1; i < run.changes.length; i++) {
      const gap = (run.changes[i]?.at as number) - (run.changes[i - 1]?.at as number);
      assert.ok(gap >= WINDOW_MS, `changes ${gap} ms apart`);
    }
  });
});
