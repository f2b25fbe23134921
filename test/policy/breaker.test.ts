// @warren-test serial: times intake stops; under a neighbour's load a waiting delivery can start as the breaker opens (a race)
/**
 * The dependency circuit breaker against the real broker, with a simulated downstream that can be
 * switched to fail: an outage stops consumption (no consumer on the queue, the backlog stays
 * ready, nothing retried or dead-lettered), the open state survives a reconnect, DependencyDown
 * stops intake for its retryAfterMs without spending an attempt, and a shared breaker stops every
 * consumer that calls the dependency.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CircuitBreaker,
  ConfigError,
  Consumer,
  DependencyDown,
  deadLetterQueueName,
  type MessageContext,
  silentLogger,
  WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, closeConnectionsNamed, queueCounts, sleep, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { SimulatedDownstream } from '../support/downstream.js';
import { downstreamWorker, inRetryQueues, type Job, recordTransitions, startsWhileOpen, stats } from './breakerKit.js';

describe('circuit breaker: stops consumption while the dependency is down', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a 3 s outage: no consumer on the queue, the backlog stays ready, nothing retried or dead-lettered; then every id once', async () => {
    const queue = uniqueName('breaker-outage');
    admin.trackQueue(queue);
    const downstream = new SimulatedDownstream({ capacity: 100, baseMs: 5 });
    const breaker = { failureRate: 0.5, minCalls: 5, windowMs: 2000, openMs: 1000, maxOpenMs: 2000, halfOpenProbes: 2 };
    const { worker, handled, starts } = downstreamWorker(
      'OutageWorker',
      { queue, prefetch: 10, concurrency: 4, retry: { attempts: 3, delayMs: 200 }, breaker },
      downstream,
    );
    downstream.fail();
    const app = await startTestApp({ consumers: [worker] });
    const transitions = recordTransitions(app);
    const ids = Array.from({ length: 100 }, (_, i) => `o-${i}`);
    const failingSince = Date.now();
    try {
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('the breaker opened', () => transitions.some((t) => t.kind === 'open'), 10_000);
      const opened = transitions[0];
      assert.equal(opened?.kind, 'open');
      assert.ok((opened?.at ?? 0) - failingSince < breaker.windowMs, `opened ${(opened?.at ?? 0) - failingSince} ms into the outage`);
      assert.deepEqual(opened?.detail, { openMs: 1000, reason: 'failure rate', failureRate: 1 });

      // Open: the broker has no consumer, and every message is ready in the queue (none handled yet).
      let during = await queueCounts(queue);
      await waitFor('no consumer, nothing unacked, the backlog ready', async () => {
        during = await queueCounts(queue);
        return during.consumers === 0 && during.unacked === 0 && during.ready === ids.length;
      });
      assert.equal(handled.seen.size, 0);
      assert.equal(await admin.depth(deadLetterQueueName(queue)), 0);
      assert.equal(await inRetryQueues(queue), 0);
      const health = app.health().consumers[0]?.policies.find((p) => p.name === 'breaker');
      assert.equal(health?.breaker, 'OutageWorker');
      assert.ok(health?.state === 'open' || health?.state === 'half-open', `health shows ${String(health?.state)}`);

      // The outage lasts 3 s, or until the broker has been looked at (rabbitmqctl is slow here).
      await sleep(Math.max(0, 3000 - (Date.now() - failingSince)));
      downstream.recover();
      const outageMs = Date.now() - failingSince;
      await waitFor('drained after recovery', () => handled.seen.size === ids.length, 20_000);

      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);
      const s = stats(app);
      assert.deepEqual([s.retried, s.deadLettered, s.dropped], [0, 0, 0], 'nothing retried or dead-lettered for the outage');
      assert.ok(s.requeued >= breaker.minCalls, `put back uncounted: ${s.requeued}`);
      assert.equal(await admin.depth(deadLetterQueueName(queue)), 0);
      assert.equal(await inRetryQueues(queue), 0);
      const opens = transitions.filter((t) => t.kind === 'open').length;
      // Without the breaker every delivery would call the dead downstream (100 messages x 3 attempts).
      const bound = breaker.minCalls + 4 + breaker.halfOpenProbes * opens;
      assert.ok(downstream.failures <= bound, `${downstream.failures} calls to the dead downstream, at most ${bound}`);
      assert.deepEqual(startsWhileOpen(starts, transitions), [], 'no handler started while open');
      assert.equal(transitions.at(-1)?.kind, 'closed');
      assert.equal(transitions.filter((t) => t.kind === 'closed').length, 1);
      assert.ok(
        transitions.every((t) => t.consumers.join() === 'OutageWorker'),
        'each event names the consumer',
      );
      assert.equal(app.health().consumers[0]?.policies.find((p) => p.name === 'breaker')?.state, 'closed');
      const after = await queueCounts(queue);
      assert.deepEqual([after.ready, after.unacked], [0, 0]);
      console.log(
        `outage of ${outageMs} ms: opened after ${(opened?.at ?? 0) - failingSince} ms; ${opens} opens; ${downstream.failures} failed calls for ${ids.length} messages; ${s.requeued} put back; transitions ${transitions.map((t) => `${t.kind}@${t.at - failingSince}`).join(' ')}`,
      );
    } finally {
      await app.stop();
    }
  });

  it('the open state survives a reconnect: still paused after the consume connection is closed, resumed only at half-open', async () => {
    const queue = uniqueName('breaker-reconnect');
    admin.trackQueue(queue);
    const downstream = new SimulatedDownstream({ capacity: 100, baseMs: 5 });
    // Long enough for the reconnect and the broker's view of it (each rabbitmqctl call takes ~1 s here).
    const openMs = 8000;
    const { worker, handled, starts } = downstreamWorker(
      'ReconnectWorker',
      { queue, prefetch: 5, breaker: { failureRate: 0.5, minCalls: 3, windowMs: 5000, openMs, halfOpenProbes: 1 } },
      downstream,
    );
    downstream.fail();
    const appName = uniqueName('breakerapp');
    const app = await startTestApp({ name: appName, consumers: [worker] });
    const transitions = recordTransitions(app);
    const consumer = app.consumers[0];
    assert.ok(consumer);
    const ids = Array.from({ length: 20 }, (_, i) => `r-${i}`);
    try {
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('the breaker opened', () => transitions.some((t) => t.kind === 'open'), 10_000);
      const openedAt = transitions[0]?.at ?? 0;
      await waitFor('put back, nothing in flight', () => consumer.stats().inFlight === 0);

      const generation = app.connections.consume.generation;
      assert.ok((await closeConnectionsNamed(`${appName}:consume`)) >= 1);
      await waitFor('reconnected', () => app.connections.consume.generation > generation && app.connections.consume.state === 'connected');
      await waitFor('channel reopened, still paused', () => consumer.stats().channelOpens >= 2 && consumer.state === 'paused');
      const c = await queueCounts(queue);
      assert.ok(Date.now() - openedAt < openMs, `checked while the breaker is still open (${Date.now() - openedAt} ms after open)`);
      assert.deepEqual(c, { ready: ids.length, unacked: 0, consumers: 0 }, 'restored, but not consuming');
      assert.deepEqual(consumer.stats().pausedBy, ['breaker:ReconnectWorker']);
      downstream.recover();

      await waitFor('half-open', () => transitions.some((t) => t.kind === 'half-open'), openMs + 5000);
      const halfOpenAt = transitions.find((t) => t.kind === 'half-open')?.at ?? 0;
      assert.ok(
        halfOpenAt - openedAt >= openMs - 50,
        `half-open ${halfOpenAt - openedAt} ms after open: openMs is kept across the reconnect`,
      );
      await waitFor('drained', () => handled.seen.size === ids.length, 15_000);
      assert.deepEqual(startsWhileOpen(starts, transitions), [], 'no handler started while open, reconnect or not');
      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);
      const s = consumer.stats();
      assert.deepEqual([s.retried, s.deadLettered], [0, 0]);
      assert.deepEqual(
        transitions.map((t) => t.kind),
        ['open', 'half-open', 'closed'],
      );
      console.log(`reconnect: half-open ${halfOpenAt - openedAt} ms after open (openMs ${openMs}); ${s.requeued} put back`);
    } finally {
      await app.stop();
    }
  });

  it('DependencyDown({ retryAfterMs: 1000 }) stops intake for about a second and costs no attempt', async () => {
    const queue = uniqueName('breaker-retryafter');
    admin.trackQueue(queue);
    const handled = new Tally();
    const starts: Array<{ id: string; at: number; attempt: number }> = [];
    let threwAt = 0;
    // openMs is long: the pause must follow the dependency's retryAfterMs, not it.
    @Consumer({
      queue,
      prefetch: 5,
      concurrency: 1,
      retry: { attempts: 3, delayMs: 200 },
      breaker: { failureRate: 0.5, minCalls: 10, windowMs: 10_000, openMs: 10_000, halfOpenProbes: 1 },
    })
    class RateLimitedWorker extends Worker<Job> {
      async handle(job: Job, ctx: MessageContext): Promise<void> {
        starts.push({ id: job.id, at: Date.now(), attempt: ctx.attempt });
        if (job.id === 'first' && threwAt === 0) {
          threwAt = Date.now();
          throw new DependencyDown({ retryAfterMs: 1000, message: '429 Too Many Requests, Retry-After: 1' });
        }
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [RateLimitedWorker] });
    const transitions = recordTransitions(app);
    const states: string[] = [];
    app.events.on('consumerState', (_, state) => states.push(state));
    try {
      const ids = ['first', ...Array.from({ length: 9 }, (_, i) => `d-${i}`)];
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('all handled', () => handled.seen.size === ids.length, 15_000);
      const next = starts.find((s) => s.at > threwAt);
      assert.ok(next, 'a handler started after the throw');
      const gap = next.at - threwAt;
      assert.ok(gap >= 800 && gap <= 2500, `intake stopped for ${gap} ms (expected about 1000)`);
      const reruns = starts.filter((s) => s.id === 'first');
      assert.deepEqual(
        reruns.map((s) => s.attempt),
        [1, 1],
        'the re-run is still attempt 1',
      );
      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);
      const s = stats(app);
      assert.deepEqual([s.retried, s.deadLettered], [0, 0]);
      assert.ok(s.requeued >= 1);
      assert.deepEqual(transitions[0]?.detail, { openMs: 1000, reason: 'the handler threw DependencyDown' });
      assert.deepEqual(
        transitions.map((t) => t.kind),
        ['open', 'half-open', 'closed'],
      );
      assert.ok(states.includes('paused'), `the consumer paused: ${states.join(' → ')}`);
      assert.equal(app.consumers[0]?.state, 'consuming');
      console.log(`DependencyDown: intake stopped ${gap} ms for retryAfterMs 1000; ${s.requeued} put back`);
    } finally {
      await app.stop();
    }
  });

  it('a shared breaker stops every consumer that calls the dependency, and resumes them together', async () => {
    const [qa, qb] = [uniqueName('breaker-shared-a'), uniqueName('breaker-shared-b')];
    admin.trackQueue(qa, qb);
    const downstream = new SimulatedDownstream({ capacity: 100, baseMs: 5 });
    // openMs outlasts the checks below (each rabbitmqctl call takes ~1 s here).
    const shared = new CircuitBreaker({ name: 'payments', failureRate: 0.5, minCalls: 3, windowMs: 5000, openMs: 6000, halfOpenProbes: 1 });
    const charging = downstreamWorker('ChargeWorker', { queue: qa, prefetch: 5, breaker: shared }, downstream);
    const refunding = downstreamWorker('RefundWorker', { queue: qb, prefetch: 5, breaker: shared }, downstream);
    downstream.fail();
    const app = await startTestApp({ consumers: [charging.worker, refunding.worker] });
    const transitions = recordTransitions(app);
    try {
      const charges = Array.from({ length: 10 }, (_, i) => `a-${i}`);
      await admin.sendMany(
        qa,
        charges.map((id) => ({ id })),
      );
      await waitFor('the breaker opened', () => transitions.some((t) => t.kind === 'open'), 10_000);
      assert.deepEqual(transitions[0]?.consumers, ['ChargeWorker', 'RefundWorker']);
      await waitFor(
        'both consumers cancelled',
        async () => (await queueCounts(qa)).consumers === 0 && (await queueCounts(qb)).consumers === 0,
      );
      const refunds = Array.from({ length: 5 }, (_, i) => `b-${i}`);
      await admin.sendMany(
        qb,
        refunds.map((id) => ({ id })),
      );
      const b = await queueCounts(qb);
      assert.equal(transitions.length, 1, 'still open');
      assert.deepEqual(b, { ready: 5, unacked: 0, consumers: 0 }, "the other consumer's messages wait in its queue");
      assert.equal(refunding.starts.length, 0);
      assert.deepEqual(
        app.consumers.map((c) => c.stats().pausedBy.join()),
        ['breaker:payments', 'breaker:payments'],
      );
      downstream.recover();
      await waitFor('both drained', () => charging.handled.seen.size + refunding.handled.seen.size === 15, 15_000);
      assert.deepEqual(charging.handled.missing(charges), []);
      assert.deepEqual(refunding.handled.missing(refunds), []);
      assert.equal(charging.handled.duplicates() + refunding.handled.duplicates(), 0);
      assert.deepEqual(startsWhileOpen(refunding.starts, transitions), []);
      for (const i of [0, 1]) assert.deepEqual([stats(app, i).retried, stats(app, i).deadLettered], [0, 0]);
      assert.equal(transitions.at(-1)?.kind, 'closed');
      assert.deepEqual(transitions.at(-1)?.consumers, ['ChargeWorker', 'RefundWorker']);
      assert.deepEqual(
        app.health().consumers.map((c) => c.policies.find((p) => p.name === 'breaker')?.breaker),
        ['payments', 'payments'],
      );
    } finally {
      await app.stop();
    }
  });

  it('a half-open probe that hangs past its deadline counts as failed: half-open does not stall', async () => {
    const queue = uniqueName('breaker-hang');
    admin.trackQueue(queue);
    const handled = new Tally();
    let firstProbe = true;
    let hangEnded = 0;
    // Ends the hang once the test is over (it is deaf to ctx.signal): a pending 4 s sleep would keep this file's process alive.
    const over = new AbortController();
    @Consumer({
      queue,
      prefetch: 5,
      timeoutMs: 500,
      breaker: { failureRate: 0.5, minCalls: 5, windowMs: 10_000, openMs: 300, halfOpenProbes: 1 },
    })
    class Hanging extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        if (job.id === 'trip') throw new DependencyDown({ retryAfterMs: 300 });
        if (firstProbe) {
          // The first probe ignores its signal and hangs for 4 s.
          firstProbe = false;
          await sleep(4000, over.signal).catch(() => undefined);
          hangEnded = Date.now();
        }
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Hanging] });
    const transitions = recordTransitions(app);
    try {
      await admin.sendMany(queue, [{ id: 'trip' }]);
      await waitFor('opened', () => transitions.some((t) => t.kind === 'open'), 5000);
      const ids = Array.from({ length: 10 }, (_, i) => `h${i}`);
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('the breaker closed', () => transitions.some((t) => t.kind === 'closed'), 8000);
      assert.equal(hangEnded, 0, 'it closed while the hung probe was still running');
      await waitFor('every other id handled', () => ids.filter((id) => !handled.seen.has(id)).length <= 1, 8000);
    } finally {
      over.abort();
      await app.stop(0);
    }
  });

  it('DependencyDown without a breaker is retried after its retryAfterMs, like RetryLater: no hot loop', async () => {
    const queue = uniqueName('depdown');
    admin.trackQueue(queue);
    const calls: number[] = [];
    @Consumer({ queue, retry: { attempts: 3, delayMs: 50 } })
    class NoBreaker extends Worker<Job> {
      async handle(_job: Job, ctx: MessageContext): Promise<void> {
        calls.push(Date.now());
        if (ctx.attempt === 1) throw new DependencyDown({ retryAfterMs: 700 });
      }
    }
    const app = await startTestApp({ consumers: [NoBreaker] });
    try {
      await admin.sendMany(queue, [{ id: 'd' }]);
      await waitFor('handled on the retry', () => calls.length === 2, 5000);
      await sleep(200);
      assert.equal(calls.length, 2, 'called twice: no put-back loop');
      const waited = (calls[1] as number) - (calls[0] as number);
      assert.ok(waited >= 650, `retried after ${waited} ms (retryAfterMs 700)`);
      assert.equal(app.consumers[0]?.stats().retried, 1);
    } finally {
      await app.stop();
    }
  });

  it('a bad breaker option stops the app at create, naming the consumer and the option, before any connection', async () => {
    const queue = uniqueName('breaker-bad');
    const nowhere = 'amqp://guest:guest@127.0.0.1:1';
    const create = (consumer: new () => Worker) => WarrenApp.create({ consumers: [consumer] }, { url: nowhere, logger: silentLogger() });
    const valid = { failureRate: 0.5, minCalls: 5, windowMs: 1000, openMs: 1000, halfOpenProbes: 1 };

    @Consumer({ queue, breaker: { ...valid, failureRate: 2 } })
    class TooHigh extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create(TooHigh), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /^@Consumer TooHigh: option "breaker" is invalid: breaker\.failureRate must be a number above 0 and at most 1 .*got 2$/,
      );
      return true;
    });
    @Consumer({ queue, breaker: { ...valid, windowMS: 1000 } as unknown as typeof valid })
    class Typo extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create(Typo), /@Consumer Typo: option "breaker" is invalid: breaker\.windowMS is not a known option/);
    @Consumer({ queue, breaker: { ...valid, halfOpenProbes: 0 } })
    class NoProbes extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(
      create(NoProbes),
      /@Consumer NoProbes: option "breaker" is invalid: breaker\.halfOpenProbes must be a whole number from 1/,
    );
    // A shared breaker is checked when it is made.
    assert.throws(() => new CircuitBreaker({ ...valid, minCalls: 0 }), /CircuitBreaker: breaker\.minCalls must be a whole number/);
  });
});
