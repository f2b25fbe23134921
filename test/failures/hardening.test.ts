/**
 * Regression tests for the hardening issue: each case failed on the code before its fix. They
 * run against the local RabbitMQ with real faults (a TCP proxy) and exact counts,
 * each on its own queues and connections, so side by side with other files; the one that needs a
 * memory alarm (which blocks every publisher on the broker) is in hardeningAlarm.test.ts, and those
 * at the connection's edges in hardeningConnections.test.ts.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  Consumer,
  createLogger,
  DEADLINE_HEADER,
  deadLetterQueueName,
  HEADER,
  type MessageContext,
  Publisher,
  RetryLater,
  replayDeadLetters,
  retryQueueName,
  Worker,
} from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, Tally, TcpProxy, uniqueName, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import { type Job, sendJobs } from './hardeningKit.js';

/** Ids and reasons of everything in a queue's DLQ (taken off it). */
async function deadLetters(admin: BrokerAdmin, queue: string): Promise<Array<{ id: string; headers: Record<string, unknown> }>> {
  const taken = await admin.drain(deadLetterQueueName(queue));
  return taken.map((m) => ({
    id: (JSON.parse(m.content.toString()) as Job).id,
    headers: (m.properties.headers ?? {}) as Record<string, unknown>,
  }));
}

describe('hardening: nothing lost at the edges', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a rejection without a reason, or with an error that cannot be described, is a failure that reaches the DLQ', async () => {
    const queue = uniqueName('oddfail');
    admin.trackQueue(queue);
    const prefetch = 3;
    const calls = new Tally();
    @Consumer({ queue, prefetch })
    class OddFailures extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        calls.add(job.id);
        switch (job.kind) {
          case 'undefined':
            return Promise.reject();
          case 'null-message':
            throw { message: null };
          case 'no-prototype':
            throw Object.create(null);
          case 'message-getter-throws':
            throw Object.defineProperty(new Error('x'), 'message', {
              get() {
                throw new Error('getter');
              },
            });
        }
      }
    }
    const app = await startTestApp({ consumers: [OddFailures] });
    try {
      const kinds = ['undefined', 'null-message', 'no-prototype', 'message-getter-throws'];
      const ids: string[] = [];
      // More of each than prefetch: a delivery left unacked by any of them would stall the consumer.
      for (const kind of kinds) ids.push(...(await sendJobs(admin, queue, kind, prefetch + 2, kind)));
      const good = await sendJobs(admin, queue, 'good', 5);
      await waitFor('every failure in the DLQ', async () => (await admin.depth(deadLetterQueueName(queue))) === ids.length);
      await waitFor('the good ones acked', () => app.consumers[0]?.stats().acked === good.length);
      const dead = await deadLetters(admin, queue);
      assert.deepEqual(dead.map((d) => d.id).sort(), [...ids].sort(), 'every failure dead-lettered once');
      for (const d of dead) {
        assert.equal(d.headers[HEADER.reason], 'exhausted');
        assert.equal(typeof d.headers[HEADER.error], 'string');
        assert.equal(typeof d.headers[HEADER.errorMessage], 'string');
      }
      assert.equal(calls.duplicates(), 0);
      const counts = await queueCounts(queue);
      assert.deepEqual([counts.ready, counts.unacked], [0, 0]);
      assert.equal(app.consumers[0]?.state, 'consuming');
    } finally {
      const report = await app.stop();
      assert.equal(report.clean, true, 'nothing left unsettled');
    }
  });

  it('deliveries whose deadline passes while they wait for a slot leave the line and go back uncounted', async () => {
    const queue = uniqueName('waiters');
    admin.trackQueue(queue);
    const attempts = new Map<string, number[]>();
    let hangStarted = false;
    @Consumer({ queue, prefetch: 6, concurrency: 1, timeoutMs: 400, retry: { attempts: 3, delayMs: 50 } })
    class OneAtATime extends Worker<Job> {
      async handle(job: Job, ctx: MessageContext): Promise<void> {
        attempts.set(job.id, [...(attempts.get(job.id) ?? []), ctx.attempt]);
        // Deaf to its signal: keeps the only slot for 1.5 s on its first attempt.
        if (job.kind === 'hang' && ctx.attempt === 1) {
          hangStarted = true;
          await sleep(1500);
        }
      }
    }
    const app = await startTestApp({ consumers: [OneAtATime] });
    const consumer = app.consumers[0];
    const waitingNow = (): number | undefined =>
      (consumer?.describe().policies as Array<{ name: string; waiting?: number }> | undefined)?.find((m) => m.name === 'concurrency')
        ?.waiting;
    let mostWaiting = 0;
    const sampler = setInterval(() => {
      mostWaiting = Math.max(mostWaiting, waitingNow() ?? 0);
    }, 20);
    try {
      await sendJobs(admin, queue, 'hang', 1, 'hang');
      await waitFor('the slow one holds the slot', () => hangStarted);
      const quick = await sendJobs(admin, queue, 'quick', 5);
      await waitFor('every quick one handled', () => quick.every((id) => attempts.has(id)), 15_000);
      await waitFor('the slow one retried and done', () => (attempts.get('hang-0')?.length ?? 0) === 2);
      for (const id of quick) assert.deepEqual(attempts.get(id), [1], `${id} ran once, as attempt 1`);
      assert.equal(await admin.depth(deadLetterQueueName(queue)), 0, 'no innocent message exhausted its attempts');
      assert.ok((consumer?.stats().requeued ?? 0) > 0, 'timed-out waiters went back to the queue');
      assert.ok(mostWaiting <= 6, `waiters bounded by prefetch (most ${mostWaiting})`);
      await waitFor('the waiting line empty', () => waitingNow() === 0);
    } finally {
      clearInterval(sampler);
      await app.stop();
    }
  });

  it('a suspect that hangs without a timeoutMs is cut off after the grace period, and intake resumes', async () => {
    const queue = uniqueName('hangsuspect');
    admin.trackQueue(queue);
    const handled = new Tally();
    const states = new Set<string>();
    @Consumer({ queue, prefetch: 5, shutdownGraceMs: 500 })
    class Suspicious extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        if (job.kind === 'hang') {
          states.add(app.consumers[0]?.state ?? '');
          await sleep(6000); // deaf to ctx.signal
        }
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Suspicious] }, { liveness: { checkEveryMs: 100, stalledAfterMs: 300 } });
    const stalls: string[] = [];
    app.events.on('stalled', (consumer) => stalls.push(consumer));
    try {
      // x-warren-redeliveries: a message that was in flight when a worker died: it runs alone.
      await admin.sendMany(queue, [{ id: 'suspect', kind: 'hang' }], {
        contentType: 'application/json',
        headers: { [HEADER.redeliveries]: 1 },
      });
      const started = Date.now();
      const others = await sendJobs(admin, queue, 'other', 10);
      await waitFor('the others handled', () => others.every((id) => handled.seen.has(id)), 5000);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 4000, `intake resumed long before the hung handler ended (${tookMs} ms)`);
      await waitFor('the suspect dead-lettered', async () => (await admin.depth(deadLetterQueueName(queue))) === 1);
      assert.deepEqual([...states], ['isolating'], 'the state said why intake was off');
      assert.deepEqual(stalls, [], 'no false stall while isolating');
      assert.equal(app.consumers[0]?.state, 'consuming');
    } finally {
      await app.stop(0);
    }
  });

  it('a counted copy whose confirm never comes: the original goes back to the queue, never lost', async () => {
    const queue = uniqueName('countfate');
    admin.trackQueue(queue);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(BROKER_URL).port || 5672) });
    const handled = new Tally();
    @Consumer({ queue, prefetch: 1 })
    class Counted extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        handled.add(job.id);
      }
    }
    const name = uniqueName('countfate-app');
    const app = await startTestApp({ name, consumers: [Counted] }, { urls: proxy.url(BROKER_URL), heartbeatSec: 60, liveness: false });
    try {
      const consumer = app.consumers[0];
      await consumer?.pause();
      // A real redelivery: taken and returned unacked by another client.
      await sendJobs(admin, queue, 'r', 1);
      const ch = await admin.connection.createChannel();
      await new Promise<void>((resolve) => void ch.consume(queue, () => resolve(), { noAck: false }));
      await ch.close();
      // The publishing connection goes silent: the counted copy is written and never confirmed.
      assert.equal(proxy.stallWhere(':publish'), 1);
      await consumer?.resume();
      await waitFor('the copy timed out and the original went back', () => (consumer?.stats().received ?? 0) >= 2, 20_000);
      assert.equal(handled.total, 0);
      // Whatever the stalled connection held is lost with it.
      proxy.resetWhere(':publish');
      proxy.resume();
      await waitFor('handled after all', () => handled.seen.has('r-0'), 30_000);
      await waitFor('queue empty', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
      assert.ok(handled.total >= 1);
    } finally {
      proxy.resume();
      await app.stop(0);
      await proxy.close();
    }
  });

  it('a handler forwarding ctx.headers forwards no counts; retries, dead letters and replays leave the deadline behind', async () => {
    const first = uniqueName('fwd1');
    const second = uniqueName('fwd2');
    admin.trackQueue(first, second);
    const seen: Array<{ attempt: number; app: unknown; headers: string[] }> = [];
    @Consumer({ queue: first })
    class Forwarder extends Worker<Job> {
      constructor(@inject(Publisher) private readonly publisher: Publisher) {
        super();
      }
      async handle(job: Job, ctx: MessageContext): Promise<void> {
        await this.publisher.send(second, job, { headers: { ...ctx.headers } });
      }
    }
    let failNext = true;
    @Consumer({ queue: second, retry: { attempts: 2, delayMs: 300 } })
    class Receiver extends Worker<Job> {
      async handle(_job: Job, ctx: MessageContext): Promise<void> {
        seen.push({ attempt: ctx.attempt, app: ctx.headers.app, headers: Object.keys(ctx.headers) });
        if (failNext) {
          failNext = false;
          throw new Error('once');
        }
      }
    }
    const app = await startTestApp({ consumers: [Forwarder, Receiver] });
    try {
      await admin.sendMany(first, [{ id: 'f' }], {
        contentType: 'application/json',
        headers: { app: 'kept', [HEADER.attempt]: 2, [HEADER.redeliveries]: 1, [DEADLINE_HEADER]: Date.now() + 200 },
      });
      await waitFor('received twice (one failure, one retry)', () => seen.length === 2, 10_000);
      assert.equal(seen[0]?.attempt, 1, 'the forwarded message starts at attempt 1');
      assert.equal(seen[0]?.app, 'kept');
      assert.ok(!seen[0]?.headers.includes(HEADER.redeliveries));
      assert.equal(app.consumers[1]?.stats().isolations, 0, 'and is no suspect');
      // The forwarded deadline had passed by the retry: the retry ran anyway (a new start).
      assert.equal(seen[1]?.attempt, 2);

      // A dead letter with a deadline, replayed after the deadline: it runs.
      await app.publisher.send(deadLetterQueueName(second), { id: 'replayed' }, { headers: { [DEADLINE_HEADER]: Date.now() - 1000 } });
      const replay = await replayDeadLetters(app.connections.publish, app.publisher, second, {});
      assert.equal(replay.moved, 1);
      await waitFor('the replayed message handled', () => seen.length === 3);
      assert.ok(!seen[2]?.headers.includes(DEADLINE_HEADER));
      assert.equal(await admin.depth(deadLetterQueueName(second)), 0);
    } finally {
      await app.stop();
    }
  });

  it("a handler's odd RetryLater delays share a bounded ladder of delay queues and still wait at least as long", async () => {
    const queue = uniqueName('ladder');
    admin.trackQueue(queue);
    const times = new Map<string, number[]>();
    @Consumer({ queue, retry: { attempts: 2, delayMs: 100 } })
    class Odd extends Worker<{ id: string; delayMs: number }> {
      async handle(job: { id: string; delayMs: number }, ctx: MessageContext): Promise<void> {
        times.set(job.id, [...(times.get(job.id) ?? []), Date.now()]);
        if (ctx.attempt === 1) throw new RetryLater('later', { delayMs: job.delayMs });
      }
    }
    const app = await startTestApp({ consumers: [Odd] });
    try {
      await admin.sendMany(queue, [
        { id: 'a', delayMs: 1234 },
        { id: 'b', delayMs: 1500 },
        { id: 'c', delayMs: 1777 },
      ]);
      await waitFor('each retried once', () => [...times.values()].filter((t) => t.length === 2).length === 3, 15_000);
      for (const [id, requested] of [
        ['a', 1234],
        ['b', 1500],
        ['c', 1777],
      ] as const) {
        const [t1, t2] = times.get(id) ?? [];
        const waited = (t2 ?? 0) - (t1 ?? 0);
        assert.ok(waited >= requested - 20 && waited < 2000 + 500, `${id} waited ${waited} ms for ${requested}`);
      }
      assert.ok(await admin.queueExists(retryQueueName(queue, 2000)), 'the ladder step above them');
      for (const odd of [1234, 1500, 1777]) assert.equal(await admin.queueExists(retryQueueName(queue, odd)), false);
    } finally {
      await app.stop();
    }
  });

  it('a JSON parse error keeps the position, not the text of the body, in the DLQ and the logs', async () => {
    const queue = uniqueName('pii');
    admin.trackQueue(queue);
    @Consumer({ queue })
    class Strict extends Worker {
      async handle(): Promise<void> {}
    }
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await startTestApp({ consumers: [Strict] }, { logger: createLogger({ level: 'debug' }, sink) });
    try {
      await admin.sendMany(queue, [Buffer.from('{"name": "Alice Secretname", "card": 4111111111111111 oops}')], {
        contentType: 'application/json',
      });
      await waitFor('dead-lettered', async () => (await admin.depth(deadLetterQueueName(queue))) === 1);
      const [dead] = await admin.drain(deadLetterQueueName(queue));
      const message = String(dead?.properties.headers?.[HEADER.errorMessage]);
      assert.match(message, /not valid JSON \(at position \d+\)/);
      for (const text of [message, ...lines]) {
        assert.ok(!text.includes('Secretname') && !text.includes('4111'), `no body text in: ${text.slice(0, 200)}`);
      }
    } finally {
      await app.stop();
    }
  });
});
