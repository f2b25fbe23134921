// @warren-test measuring: measures rates and latencies against bands
/**
 * The rate limit against the real broker: a token bucket before the handler whose waiting
 * deliveries hold their prefetch slots, so the backlog stays in the queue; shared by consumers
 * that call one API; split between the workers of a queue; refused at create when wrong.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import {
  ConfigError,
  Consumer,
  type ConsumerOptions,
  deadLetterQueueName,
  type MessageContext,
  RateLimiter,
  silentLogger,
  WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

type Job = { id: string };

/** Each handling's id and when it happened (performance.now()), to count a measured window. */
class Handled extends Tally {
  readonly at: number[] = [];
  record(id: string): void {
    this.add(id);
    this.at.push(performance.now());
  }
  /** Handlings in [from, from + ms). */
  within(from: number, ms: number): number {
    return this.at.filter((t) => t >= from && t < from + ms).length;
  }
}

/** A worker class on `queue` that records what it handles into `handled` (and the attempt each ran as). */
function recordingWorker(name: string, options: ConsumerOptions, handled: Handled, attempts: number[] = []) {
  const cls = class extends Worker<Job> {
    async handle(job: Job, ctx: MessageContext): Promise<void> {
      attempts.push(ctx.attempt);
      handled.record(job.id);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Consumer(options)(cls);
  return cls;
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** The describe() of the named policy of an app's consumer. */
function policyOf(app: WarrenApp, consumer: number, policy: string): Record<string, unknown> | undefined {
  return app.health().consumers[consumer]?.policies.find((p) => p.name === policy);
}

describe('rate limit', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('perSecond 50, burst 1: 250 ± 10% in a measured 5 s over a big ready backlog; broker unacked never above prefetch', async () => {
    const queue = uniqueName('rate');
    admin.trackQueue(queue);
    const prefetch = 10;
    const handled = new Handled();
    const Limited = recordingWorker('Limited', { queue, prefetch, rateLimit: { perSecond: 50, burst: 1 } }, handled);
    const app = await startTestApp({ consumers: [Limited] });
    try {
      const all = ids('r', 450);
      await admin.sendMany(
        queue,
        all.map((id) => ({ id })),
      );
      await waitFor('a steady line', () => policyOf(app, 0, 'rateLimit')?.waiting === prefetch - 1 || handled.total > 40);
      // A stall of the event loop longer than a token's interval is not made up (burst 1): shown, to judge the count.
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const from = performance.now();
      const unacked: number[] = [];
      const waiting: number[] = [];
      const notAtBroker: number[] = [];
      // The broker's own counts and the limiter's line, sampled through the window (ten a second at most).
      while (performance.now() < from + 5000) {
        const sampledAt = performance.now();
        const counts = await queueCounts(queue);
        unacked.push(counts.unacked);
        waiting.push(policyOf(app, 0, 'rateLimit')?.waiting as number);
        // Every message not yet handled is still at the broker (ready or unacked), none in the process.
        notAtBroker.push(all.length - handled.total - counts.ready - counts.unacked);
        await sleep(Math.max(0, sampledAt + 100 - performance.now()));
      }
      loop.disable();
      const inWindow = handled.within(from, 5000);
      const leftAfter = all.length - handled.within(0, from + 5000);
      console.log(
        `rate: ${inWindow} handled in 5 s at perSecond 50 (target 250 ± 25); broker unacked max ${Math.max(...unacked)} ` +
          `over ${unacked.length} samples (prefetch ${prefetch}); limiter line max ${Math.max(...waiting)}; not yet handled after the window ${leftAfter}; ` +
          `event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
      // More left than the window holds: messages were ready all along, so the rate set the pace, not supply.
      assert.ok(leftAfter > prefetch + 20, `the backlog never ran out (${leftAfter} left)`);
      assert.ok(inWindow >= 225 && inWindow <= 275, `handled ${inWindow} in 5 s`);
      assert.ok(unacked.length >= 3 && Math.max(...unacked) <= prefetch, `broker unacked samples ${unacked}`);
      assert.ok(
        unacked.some((n) => n === prefetch),
        `the window was seen full: the broker holds the backlog (${unacked})`,
      );
      assert.ok(Math.max(...waiting) <= prefetch, `the line is inside the window: ${waiting}`);
      assert.ok(Math.max(...notAtBroker) <= 0, `unhandled messages missing from the broker: ${notAtBroker}`);

      await waitFor('all handled', () => handled.total >= all.length, 20_000);
      assert.deepEqual(handled.missing(all), []);
      assert.equal(handled.duplicates(), 0);
      const policy = policyOf(app, 0, 'rateLimit');
      assert.equal(policy?.taken, 450);
      assert.ok((policy?.limited as number) > 400, `most waited for a token: ${policy?.limited}`);
      assert.equal(app.consumers[0]?.stats().acked, 450);
    } finally {
      await app.stop();
    }
  });

  it('a shared RateLimiter caps the sum of two consumers, and serves them in arrival order (fairly)', async () => {
    const queues = [uniqueName('rate-shared-a'), uniqueName('rate-shared-b')];
    admin.trackQueue(...queues);
    const shared = new RateLimiter({ perSecond: 40, name: 'partnerApi' });
    const handled = [new Handled(), new Handled()];
    const Invoices = recordingWorker('Invoices', { queue: queues[0] as string, prefetch: 5, rateLimit: shared }, handled[0] as Handled);
    const Refunds = recordingWorker('Refunds', { queue: queues[1] as string, prefetch: 5, rateLimit: shared }, handled[1] as Handled);
    const app = await startTestApp({ consumers: [Invoices, Refunds] });
    try {
      const sent = [ids('a', 150), ids('b', 150)];
      for (const [i, list] of sent.entries())
        await admin.sendMany(
          queues[i] as string,
          list.map((id) => ({ id })),
        );
      await waitFor('both under way', () => (handled[0]?.total ?? 0) > 5 && (handled[1]?.total ?? 0) > 5);
      const from = performance.now();
      await waitFor('a 4 s window', () => performance.now() > from + 4000, 10_000);
      const each = handled.map((h) => h.within(from, 4000));
      const sum = (each[0] ?? 0) + (each[1] ?? 0);
      const leftAfter = 300 - handled.reduce((n, h) => n + h.within(0, from + 4000), 0);
      console.log(
        `shared: ${each.join(' + ')} = ${sum} handled in 4 s at perSecond 40 shared (target 160 ± 16; unshared would be 320); ` +
          `not yet handled after the window ${leftAfter}`,
      );
      assert.ok(leftAfter > 2 * 5 + 20, `the backlog never ran out (${leftAfter} left)`);
      assert.ok(sum >= 144 && sum <= 176, `sum ${sum}`);
      for (const n of each) assert.ok(n >= 0.35 * sum, `each consumer gets a fair share: ${each}`);
      assert.deepEqual(policyOf(app, 0, 'partnerApi')?.consumers, ['Invoices', 'Refunds']);

      await waitFor('all handled', () => (handled[0]?.total ?? 0) + (handled[1]?.total ?? 0) >= 300, 20_000);
      for (const [i, h] of handled.entries()) {
        assert.deepEqual(h.missing(sent[i] as string[]), []);
        assert.equal(h.duplicates(), 0);
      }
      assert.equal(shared.describe().taken, 300);
    } finally {
      await app.stop();
    }
  });

  it('a deadline that passes while waiting for a token puts the message back uncounted: none dead-lettered, each handled once', async () => {
    const queue = uniqueName('rate-deadline');
    admin.trackQueue(queue);
    const handled = new Handled();
    const attempts: number[] = [];
    // 12 in the window at 4/s: those not reached within 1 s of arrival time out waiting.
    const Patient = recordingWorker('Patient', { queue, prefetch: 12, timeoutMs: 1000, rateLimit: { perSecond: 4 } }, handled, attempts);
    const app = await startTestApp({ consumers: [Patient] });
    try {
      const all = ids('d', 12);
      await admin.sendMany(
        queue,
        all.map((id) => ({ id })),
      );
      await waitFor('all handled', () => handled.total >= all.length, 30_000);
      const stats = app.consumers[0]?.stats();
      console.log(`deadline: ${handled.total} handled, ${stats?.requeued} put back while waiting, attempts seen ${[...new Set(attempts)]}`);
      assert.deepEqual(handled.missing(all), []);
      assert.equal(handled.duplicates(), 0);
      assert.ok((stats?.requeued ?? 0) > 0, 'some waited past their deadline and went back');
      assert.deepEqual([...new Set(attempts)], [1], 'a put-back costs no attempt');
      assert.equal(stats?.retried, 0);
      assert.equal(stats?.deadLettered, 0);
      assert.equal(await admin.depth(deadLetterQueueName(queue)), 0);
      await waitFor('queue empty', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
    } finally {
      await app.stop();
    }
  });

  it('a bad rateLimit stops the app at create, naming the consumer and the option, before any connection', async () => {
    const queue = uniqueName('rate-bad');
    // Nothing listens here: had it tried to connect, it would fail with a connection error instead.
    const create = (consumer: ReturnType<typeof recordingWorker>) =>
      WarrenApp.create({ consumers: [consumer] }, { url: 'amqp://guest:guest@127.0.0.1:1', logger: silentLogger() });
    const refused = async (options: ConsumerOptions, message: RegExp): Promise<void> => {
      await assert.rejects(create(recordingWorker('BadRate', options, new Handled())), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, message);
        return true;
      });
    };
    await refused({ queue, rateLimit: { perSecond: 0 } }, /^@Consumer BadRate: option "rateLimit" needs perSecond: .* got 0$/);
    await refused(
      { queue, rateLimit: { perSecond: 10, burts: 5 } as never },
      /^@Consumer BadRate: option "rateLimit" has an unknown key "burts"/,
    );
    await refused({ queue, rateLimit: { perSecond: 10, burst: 0 } }, /^@Consumer BadRate: option "rateLimit" needs burst: .* got 0$/);
    const acrossOne = new RateLimiter({ perSecond: 10, across: 'queue' });
    const first = recordingWorker('First', { queue, rateLimit: acrossOne }, new Handled());
    const second = recordingWorker('Second', { queue: `${queue}-other`, rateLimit: acrossOne }, new Handled());
    await assert.rejects(
      WarrenApp.create({ consumers: [first, second] }, { url: 'amqp://guest:guest@127.0.0.1:1', logger: silentLogger() }),
      /^ConfigError: @Consumer Second: policy "rateLimit" could not be created: RateLimiter "rateLimit" with across: 'queue' limits one queue's workers/,
    );
  });

  it("across: 'queue': two worker apps on one queue share perSecond between them, sized from the broker's consumer count", async () => {
    const queue = uniqueName('rate-across');
    admin.trackQueue(queue);
    const handled = [new Handled(), new Handled()];
    const options: ConsumerOptions = { queue, prefetch: 5, rateLimit: { perSecond: 40, across: 'queue', refreshMs: 1000 } };
    const apps = [
      await startTestApp({ consumers: [recordingWorker('WorkerOne', options, handled[0] as Handled)] }),
      await startTestApp({ consumers: [recordingWorker('WorkerTwo', options, handled[1] as Handled)] }),
    ];
    try {
      const all = ids('q', 320);
      await admin.sendMany(
        queue,
        all.map((id) => ({ id })),
      );
      // Each worker learns of the other on its next refresh (at most refreshMs after a delivery).
      await waitFor('each worker takes half', () => apps.every((app) => policyOf(app, 0, 'rateLimit')?.perSecondNow === 20), 10_000);
      const from = performance.now();
      await waitFor('a 4 s window', () => performance.now() > from + 4000, 10_000);
      const each = handled.map((h) => h.within(from, 4000));
      const sum = (each[0] ?? 0) + (each[1] ?? 0);
      const leftAfter = all.length - handled.reduce((n, h) => n + h.within(0, from + 4000), 0);
      console.log(
        `across queue: ${each.join(' + ')} = ${sum} handled in 4 s by two workers at perSecond 40 across the queue ` +
          `(target 160 ± 24; per worker it would be 320); not yet handled after the window ${leftAfter}`,
      );
      assert.ok(leftAfter > 2 * 5 + 20, `the backlog never ran out (${leftAfter} left)`);
      assert.ok(sum >= 136 && sum <= 184, `sum ${sum}`);
      for (const n of each) assert.ok(n >= 0.35 * sum, `each worker takes about half: ${each}`);
      assert.deepEqual(
        apps.map((app) => policyOf(app, 0, 'rateLimit')?.queueConsumers),
        [2, 2],
      );

      // One worker leaves: the other takes the whole rate on its next refresh.
      await apps[1]?.stop();
      await waitFor(
        'the last worker takes the whole rate',
        () => policyOf(apps[0] as WarrenApp, 0, 'rateLimit')?.perSecondNow === 40,
        10_000,
      );
      await waitFor('all handled', () => (handled[0]?.total ?? 0) + (handled[1]?.total ?? 0) >= all.length, 30_000);
      const both = new Tally();
      for (const h of handled) for (const [id, n] of h.seen) for (let i = 0; i < n; i++) both.add(id);
      assert.deepEqual(both.missing(all), []);
      assert.equal(both.duplicates(), 0);
    } finally {
      for (const app of apps) await app?.stop();
    }
  });
});
