// @warren-test measuring: measures rates and latencies against bands
/**
 * Back-pressure end to end: three stages, each publishing to the next queue through the app's
 * Publisher, with `limits` on the queues between them, and a slow last stage (a simulated
 * downstream). Publishes to a queue at its mark wait, the handler takes longer, its prefetch
 * window fills, and the stage before takes less: the first stage's intake falls to the last
 * stage's rate, and no queue grows past its mark.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, type MessageContext, Publisher, Worker } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { startTestApp } from '../support/app.js';
import { SimulatedDownstream } from '../support/downstream.js';
import { DepthWatch } from './depthWatch.js';

type Job = { id: string };

/** Acked counts of each stage over time, to measure rates over one window. */
class RateLog {
  readonly rows: Array<{ at: number; acked: number[] }> = [];
  add(at: number, acked: number[]): void {
    this.rows.push({ at, acked });
  }
  /** Messages per second of stage `i` between the rows nearest `from` and `to`. */
  rate(i: number, from: number, to: number): number {
    const a = this.#nearest(from);
    const b = this.#nearest(to);
    return (((b.acked[i] ?? 0) - (a.acked[i] ?? 0)) * 1000) / Math.max(1, b.at - a.at);
  }
  /** The highest rate of stage `i` over any `spanMs`. */
  peak(i: number, spanMs: number): number {
    let best = 0;
    for (const row of this.rows) best = Math.max(best, this.rate(i, row.at, row.at + spanMs));
    return best;
  }
  #nearest(at: number): { at: number; acked: number[] } {
    let best = this.rows[0] as { at: number; acked: number[] };
    for (const row of this.rows) if (Math.abs(row.at - at) < Math.abs(best.at - at)) best = row;
    return best;
  }
}

describe('back-pressure through a three-stage pipeline', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it("with a slow last stage, the first stage's intake falls to the last stage's rate and no queue passes its mark", async () => {
    const [q1, q2, q3] = [uniqueName('pipe.ingest'), uniqueName('pipe.enrich'), uniqueName('pipe.store')];
    admin.trackQueue(q1, q2, q3);
    const TOTAL = 1500;
    const MARK = 100;
    // The last stage: 6 calls at once (its prefetch), 40 ms each: about 150/s.
    const downstream = new SimulatedDownstream({ capacity: 6, baseMs: 40 });
    const stored = new Tally();

    @Consumer({ queue: q1, prefetch: 10 })
    class Ingest extends Worker<Job> {
      constructor(@inject(Publisher) private readonly publisher: Publisher) {
        super();
      }
      async handle(job: Job): Promise<void> {
        await this.publisher.send(q2, job, { messageId: job.id });
      }
    }
    @Consumer({ queue: q2, prefetch: 10 })
    class Enrich extends Worker<Job> {
      constructor(@inject(Publisher) private readonly publisher: Publisher) {
        super();
      }
      async handle(job: Job): Promise<void> {
        await this.publisher.send(q3, job, { messageId: job.id });
      }
    }
    @Consumer({ queue: q3, prefetch: 6 })
    class Store extends Worker<Job> {
      async handle(job: Job, ctx: MessageContext<Job>): Promise<void> {
        await downstream.call(ctx.signal);
        stored.add(job.id);
      }
    }

    // The marks go in through the run options (AppRunOptions.publisher), as `warren start` users set them in defineApp.
    const limits = { [q2]: { maxReady: MARK, sampleEveryMs: 100 }, [q3]: { maxReady: MARK, sampleEveryMs: 100 } };
    const app = await startTestApp({ consumers: [Ingest, Enrich, Store] }, { publisher: { limits } });
    const watch = DepthWatch.start(admin, [q2, q3]);
    const rates = new RateLog();
    let sampler: NodeJS.Timeout | undefined;
    try {
      assert.deepEqual(
        app.health().publisher.limits.map((l) => [l.queue, l.maxReady, l.policy]),
        [
          [q2, MARK, 'wait'],
          [q3, MARK, 'wait'],
        ],
      );
      const ids = Array.from({ length: TOTAL }, (_, i) => `j${i}`);
      const started = Date.now();
      const acked = (): number[] => app.consumers.map((c) => c.stats().acked);
      rates.add(0, acked());
      sampler = setInterval(() => rates.add(Date.now() - started, acked()), 100);
      await admin.sendMany(
        q1,
        ids.map((id) => ({ id })),
        { contentType: 'application/json' },
      );
      // Steady state: both marks reached, so every stage runs at the pace of the last.
      await waitFor(
        'both queues between stages at their marks',
        () => (watch.latest.get(q2) ?? 0) >= MARK * 0.9 && (watch.latest.get(q3) ?? 0) >= MARK * 0.9,
      );
      const steadyFrom = Date.now() - started + 500;
      // Until the first stage has taken its whole backlog: then its intake stops and the rest drains.
      await waitFor('the first stage to take every message', () => (app.consumers[0]?.stats().acked ?? 0) >= TOTAL, 40_000);
      const steadyTo = Date.now() - started;
      await waitFor('every message stored', () => stored.total >= TOTAL, 30_000);
      clearInterval(sampler);
      await watch.stop();

      const first = rates.rate(0, steadyFrom, steadyTo);
      const last = rates.rate(2, steadyFrom, steadyTo);
      const peak = rates.peak(0, 500);
      const stats = app.consumers.map((c) => c.stats());
      const p = app.publisher.stats();
      console.log(
        `pipeline: ${TOTAL} messages; steady window ${steadyFrom}–${steadyTo} ms: first stage ${first.toFixed(1)}/s, last stage ${last.toFixed(1)}/s, ratio ${(first / last).toFixed(3)}; ` +
          `first stage's peak before the marks filled ${peak.toFixed(0)}/s (500 ms window); ` +
          `max ready: enrich ${watch.maxOf(q2)}, store ${watch.maxOf(q3)} (mark ${MARK}; ${watch.declareSamples} passive declares, ${watch.brokerSamples} broker samples); ` +
          `stored ${stored.total}, missing ${stored.missing(ids).length}, duplicates ${stored.duplicates()}; ` +
          `publisher: held now ${p.held}, downstreamFull ${p.downstreamFull}; downstream max running ${downstream.maxRunning}, p99 ${downstream.percentile(99)} ms`,
      );
      assert.ok(steadyTo - steadyFrom >= 3000, `a steady window of ${steadyTo - steadyFrom} ms`);
      assert.ok(first / last >= 0.8 && first / last <= 1.25, `intake ${first.toFixed(1)}/s vs last stage ${last.toFixed(1)}/s`);
      assert.ok(peak >= 2 * first, `the first stage ran at ${peak.toFixed(0)}/s before the marks filled, ${first.toFixed(1)}/s after`);
      assert.ok(watch.maxOf(q2) <= MARK, `${q2} reached ${watch.maxOf(q2)}`);
      assert.ok(watch.maxOf(q3) <= MARK, `${q3} reached ${watch.maxOf(q3)}`);
      assert.ok(watch.maxOf(q2) >= MARK * 0.9 && watch.maxOf(q3) >= MARK * 0.9, 'the marks were reached');
      assert.deepEqual(stored.missing(ids), []);
      assert.equal(stored.duplicates(), 0);
      for (const s of stats) assert.deepEqual([s.retried, s.deadLettered], [0, 0]);
      assert.equal(p.downstreamFull, 0, 'no publish gave up waiting');
      assert.ok(downstream.maxRunning <= 6);
    } finally {
      clearInterval(sampler);
      await watch.stop();
      await app.stop();
    }
  });
});
