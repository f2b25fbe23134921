// @warren-test serial: measures the broker's unacked count against a moving window, which RabbitMQ overshoots more when busy
/**
 * Adaptive concurrency against the real broker: the limit follows a simulated downstream's
 * capacity, and the broker's prefetch window follows the limit, so the backlog stays in the
 * queue. How a live window moves at the broker: livePrefetch.test.ts.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, Consumer, type ConsumerOptions, type MessageContext, silentLogger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, Tally, uniqueName } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { SimulatedDownstream } from '../support/downstream.js';

type Job = { id: string };

/** The window the policy keeps for a limit: the limit plus a quarter, at least one (adaptiveLimit.ts). */
const windowFor = (limit: number, prefetch: number): number => Math.min(prefetch, limit + Math.max(1, Math.ceil(limit / 4)));

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** A worker class on `queue` whose handler does `work` and records the id. */
function worker(name: string, options: ConsumerOptions, handled: Tally, work: (ctx: MessageContext) => Promise<void>) {
  const cls = class extends Worker<Job> {
    async handle(job: Job, ctx: MessageContext): Promise<void> {
      await work(ctx);
      handled.add(job.id);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Consumer(options)(cls);
  return cls;
}

describe('adaptive concurrency', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('converges near the downstream capacity from min, follows it down, and the broker never holds more than limit + slack unacked', async (t) => {
    const queue = uniqueName('adaptive');
    admin.trackQueue(queue);
    const prefetch = 64;
    const C = 8;
    const downstream = new SimulatedDownstream({ capacity: C, baseMs: 20 });
    const handled = new Tally();
    const Adaptive = worker('Adaptive', { queue, prefetch, concurrency: { adaptive: { min: 1, max: 48 } } }, handled, (ctx) =>
      downstream.call(ctx.signal),
    );
    const app = await startTestApp({ consumers: [Adaptive] });
    const t0 = performance.now();
    const at = (): number => performance.now() - t0;
    // The limit over time, from the events (the window follows each change).
    const limits: Array<{ at: number; limit: number; reason: string }> = [{ at: 0, limit: 1, reason: 'start' }];
    app.events.on('limitChanged', (consumer, limit, _previous, reason) => {
      if (consumer === 'Adaptive') limits.push({ at: at(), limit, reason });
    });
    const limitAt = (ms: number): number => (limits.filter((l) => l.at <= Math.max(0, ms)).at(-1) as { limit: number }).limit;
    const limitsIn = (from: number, to: number): number[] => [
      limitAt(from),
      ...limits.filter((l) => l.at > from && l.at <= to).map((l) => l.limit),
    ];
    // The broker's unacked count, sampled while it runs (each sample spans [from, to]), one a second:
    // as often as when each read was a rabbitmqctl run. Not more often: RabbitMQ itself can hold one
    // or a few more than a channel-wide window just after a basic.qos (it resets the channel's count
    // to the deliveries the channel has, not those on their way to it), so each extra sample is
    // one more chance to catch the broker, not Warren, over the window.
    const samples: Array<{ from: number; to: number; unacked: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const from = at();
        const { unacked } = await queueCounts(queue);
        samples.push({ from, to: at(), unacked });
        await sleep(Math.max(300, from + 1000 - at()));
      }
    })();
    const phase = 8000;
    const all = ids('a', 5000);
    try {
      // A backlog far larger than both phases can take (the limit grows only while the queue fills it).
      await admin.sendMany(
        queue,
        all.map((id) => ({ id })),
      );
      await sleep(phase - at());
      downstream.capacity = C / 4;
      await sleep(phase);
      sampling = false;
      await sampler;
      const health = app.health().consumers[0]?.policies.find((p) => p.name === 'adaptiveConcurrency');
      assert.ok(health !== undefined, 'the adaptive limit shows in /health');
      assert.equal(health.limit, limitAt(at()));
      assert.equal(health.prefetch, windowFor(health.limit as number, prefetch), 'the window in /health is the one for the limit');
      assert.ok(typeof health.rttNoLoad === 'number' && health.rttNoLoad >= 20, `rttNoLoad ${health.rttNoLoad}`);
    } finally {
      sampling = false;
      await sampler;
      await app.stop();
    }

    // Every id accounted for: handled exactly once, or still in the queue.
    const left = (await admin.drain(queue)).map((m) => (JSON.parse(m.content.toString()) as Job).id);
    const leftSet = new Set(left);
    assert.equal(handled.duplicates(), 0, 'no message handled twice');
    assert.equal(left.length, leftSet.size, 'no message twice in the queue');
    assert.deepEqual(
      all.filter((id) => handled.seen.has(id) === leftSet.has(id)),
      [],
      'each id handled or left in the queue, never both, never neither',
    );

    const firstNear = limits.find((l) => l.limit >= C / 2);
    const settled1 = limitsIn(4000, phase);
    const firstDown = limits.find((l) => l.at > phase && l.limit <= (2 * C) / 4);
    const settled2 = limitsIn(phase + 4000, 2 * phase);
    t.diagnostic(`capacity ${C} then ${C / 4}; handled ${handled.seen.size}, left ${left.length}; ${limits.length - 1} limit changes`);
    t.diagnostic(`reached C/2 at ${Math.round(firstNear?.at ?? -1)} ms; limits 4–8 s: ${Math.min(...settled1)}..${Math.max(...settled1)}`);
    t.diagnostic(
      `after the drop, within 2C' at +${Math.round((firstDown?.at ?? -1) - phase)} ms; limits 12–16 s: ${Math.min(...settled2)}..${Math.max(...settled2)}`,
    );
    t.diagnostic(
      `p50/p99 downstream latency ${downstream.percentile(50)}/${downstream.percentile(99)} ms; most running ${downstream.maxRunning}`,
    );

    // Converges from min: C/2 within 4 s, then stays within [C/2, 2C].
    assert.ok(firstNear !== undefined && firstNear.at < 4000, `reached C/2 at ${firstNear?.at} ms`);
    assert.ok(Math.min(...settled1) >= C / 2 && Math.max(...settled1) <= 2 * C, `limits 4–8 s: ${settled1}`);
    // Follows the capacity down (C' = C/4): within [C'/2, 2C'] within 4 s, and stays there.
    assert.ok(firstDown !== undefined && firstDown.at - phase < 4000, `within 2C' at ${firstDown?.at} ms`);
    assert.ok(Math.min(...settled2) >= C / 8 && Math.max(...settled2) <= (2 * C) / 4, `limits 12–16 s: ${settled2}`);

    // The broker's unacked never above the window of the limit (limit + slack), allowing the
    // window in force during the sample and the second before it (a lowered window is reached as
    // handlers settle; the limit moves at most every 100 ms), plus RabbitMQ's own overshoot: after
    // each channel-wide basic.qos it counts only the deliveries the channel already has, not those
    // on their way, so with the window moving every few hundred ms it holds a few more (seen here:
    // 12 with a window of 10; with plain amqplib, 19 with a window of 14). Half a window more still
    // tells a window that follows the limit (2 to 15 here) from none at all (prefetch 64).
    assert.ok(samples.length >= 8, `${samples.length} samples`);
    const brokerBound = (window: number): number => window + Math.ceil(window / 2);
    const over = samples.filter(
      (s) => s.unacked > brokerBound(Math.max(...limitsIn(s.from - 1000, s.to).map((l) => windowFor(l, prefetch)))),
    );
    t.diagnostic(`broker unacked samples: ${samples.map((s) => `${s.unacked}@${Math.round(s.from)}`).join(' ')}`);
    assert.deepEqual(over, [], 'unacked within limit + slack');
    assert.ok(
      samples.some((s) => s.unacked > 0),
      'the broker did hold unacked messages',
    );
  });

  it('a bad adaptive setting fails at create, naming the consumer and concurrency.adaptive.<key>', async () => {
    const create = (consumers: Array<new () => Worker>) => WarrenApp.create({ consumers }, { logger: silentLogger() });
    @Consumer({ queue: uniqueName('bad'), prefetch: 16, concurrency: { adaptive: { min: 1, max: 32 } } })
    class TooHigh extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create([TooHigh]), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /@Consumer TooHigh: option "concurrency" has concurrency\.adaptive\.max = 32: it must be a whole number from 1 to 16/,
      );
      return true;
    });
    @Consumer({ queue: uniqueName('bad'), concurrency: { adaptive: { min: 2, max: 8, alpha: 3 } as never } })
    class Unknown extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(
      create([Unknown]),
      /@Consumer Unknown: option "concurrency" has concurrency\.adaptive\.alpha, which is not a setting/,
    );
  });
});
