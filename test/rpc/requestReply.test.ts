// @warren-test measuring: measures rates and latencies against bands
/**
 * Request/reply with deadlines and cancellation, against the real broker: many callers, timeouts,
 * cancellation that reaches the handler, requests that expire in the queue, a worker killed
 * mid-request.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Consumer,
  createPublisher,
  DependencyDown,
  deadLetterQueueName,
  type MessageContext,
  NoResponderError,
  type Publisher,
  Reject,
  RemoteError,
  RequestCancelledError,
  RequestTimeoutError,
  replayDeadLetters,
  silentLogger,
  type WarrenApp,
  Worker,
} from '@warren/core';
import { type BrokerAdmin, queueCounts, rabbitmqctl, sleep, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import { fixture, spawnWarren } from '../support/cli.js';
import { closeRpcKit, openRpcKit, type Req, type Res } from '../support/rpc.js';

describe('request/reply', () => {
  let admin: BrokerAdmin;
  let client: Publisher;
  before(async () => {
    ({ admin, client } = await openRpcKit('rpc-test-client'));
  });
  after(() => closeRpcKit({ admin, client }));

  it('1,000 concurrent requests against 4 workers: every reply to its caller, none crossed, nothing left pending', async () => {
    const queue = uniqueName('rpc-many');
    admin.trackQueue(queue);
    const handledBy = [0, 0, 0, 0];
    const apps: WarrenApp[] = [];
    try {
      for (let w = 0; w < 4; w++) {
        @Consumer({ queue, prefetch: 10 })
        class Doubler extends Worker<Req, Res> {
          async handle(req: Req): Promise<Res> {
            handledBy[w] = (handledBy[w] ?? 0) + 1;
            if (req.fail) throw new Reject(`cannot double ${req.n}`);
            await sleep(1 + (req.n % 5));
            return { doubled: req.n * 2, worker: w };
          }
        }
        apps.push(await startTestApp({ name: `rpc-worker-${w}`, consumers: [Doubler] }));
      }
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, n) => client.request<Res>(queue, { n }, { timeoutMs: 20_000 }).then((r) => ({ n, r }))),
      );
      const tookMs = Date.now() - started;
      const crossed = results.filter(({ n, r }) => r.doubled !== n * 2);
      assert.equal(crossed.length, 0, 'no reply went to the wrong caller');
      assert.equal(results.length, 1000);
      const stats = client.stats().requests;
      assert.equal(stats?.pending, 0, 'no pending entries left');
      assert.equal(stats?.replies, 1000);
      assert.ok(
        handledBy.every((h) => h > 0),
        `the 4 workers shared the load: ${handledBy.join(', ')}`,
      );
      console.log(
        `# [rpc] 1000 requests over 4 workers in ${tookMs} ms; handled per worker ${handledBy.join('/')}; pending ${stats?.pending}`,
      );

      // A handler that fails for good answers with a RemoteError: its name and message, no stack.
      const remoteErrors = stats?.remoteErrors ?? 0;
      await assert.rejects(client.request<Res>(queue, { n: 7, fail: true }), (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.remoteName, 'Reject');
        assert.match(e.message, /cannot double 7/);
        assert.doesNotMatch(e.message, /at .*\.js:\d+/);
        return true;
      });
      assert.equal(client.stats().requests?.remoteErrors, remoteErrors + 1, 'counted in stats().requests.remoteErrors');
      // The reply goes out before the message is dead-lettered: the caller can have it first.
      await waitFor('the failed request in the DLQ', async () => (await admin.depth(deadLetterQueueName(queue))) >= 1);
      assert.equal((await admin.drain(deadLetterQueueName(queue))).length, 1);
    } finally {
      for (const app of apps) await app.stop();
    }
  });

  it('no queue to take it: NoResponderError at once', async () => {
    const started = Date.now();
    const noResponder = client.stats().requests?.noResponder ?? 0;
    await assert.rejects(client.request(uniqueName('rpc-nobody'), { n: 1 }, { timeoutMs: 5000 }), NoResponderError);
    assert.ok(Date.now() - started < 2000);
    assert.equal(client.stats().requests?.noResponder, noResponder + 1, 'counted in stats().requests.noResponder');
  });

  it('a timeout rejects on time and aborts the handler; a cancellation reaches the handler, with no reply and no retry', async () => {
    const queue = uniqueName('rpc-slow');
    admin.trackQueue(queue);
    const aborted = new Map<number, number>();
    const calls = new Map<number, number>();
    @Consumer({ queue, retry: { attempts: 3, delayMs: 50 } })
    class Slow extends Worker<Req, Res> {
      async handle(req: Req, ctx: MessageContext): Promise<Res> {
        calls.set(req.n, (calls.get(req.n) ?? 0) + 1);
        ctx.signal.addEventListener('abort', () => aborted.set(req.n, Date.now()), { once: true });
        await sleep(req.n === 1 ? 1000 : 2000, ctx.signal);
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Slow] });
    try {
      // Timeout: a 1 s handler, a caller that waits 200 ms.
      const sent = Date.now();
      let timedOutAt = 0;
      await assert.rejects(
        client.request(queue, { n: 1 }, { timeoutMs: 200 }).finally(() => (timedOutAt = Date.now())),
        RequestTimeoutError,
      );
      const elapsed = timedOutAt - sent;
      assert.ok(elapsed >= 195 && elapsed < 400, `RequestTimeoutError after ${elapsed} ms`);
      await waitFor('the handler aborted', () => aborted.has(1), 5000);
      const serverLag = (aborted.get(1) as number) - timedOutAt;
      assert.ok(serverLag < 250, `the server's signal aborted ${serverLag} ms after the caller's timeout`);

      // Cancellation: abort 100 ms into a 2 s handler.
      const controller = new AbortController();
      const request = client.request(queue, { n: 2 }, { timeoutMs: 10_000, signal: controller.signal });
      await waitFor('the handler started', () => calls.has(2), 5000);
      await sleep(100);
      const abortedAt = Date.now();
      controller.abort();
      await assert.rejects(request, RequestCancelledError);
      await waitFor("the handler's signal aborted", () => aborted.has(2), 5000);
      const cancelLag = (aborted.get(2) as number) - abortedAt;
      console.log(
        `# [rpc] timeout: caller rejected after ${elapsed} ms, server aborted ${serverLag} ms later; cancel: server aborted ${cancelLag} ms after the caller`,
      );
      assert.ok(cancelLag < 200, `the server's signal aborted ${cancelLag} ms after the caller's abort`);
      await waitFor('settled', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
      const s = app.consumers[0]?.stats();
      assert.equal(calls.get(2), 1, 'not retried');
      assert.equal(s?.replies, 0, 'no reply sent for either');
      assert.equal(await admin.depth(deadLetterQueueName(queue)), 0);
      assert.equal(client.stats().requests?.lateReplies, 0);
    } finally {
      await app.stop();
    }
  });

  it('requests that expire while queued are never started; every caller gets RequestTimeoutError; replayed from the DLQ they run', async () => {
    const queue = uniqueName('rpc-expire');
    admin.trackQueue(queue);
    let calls = 0;
    @Consumer({ queue })
    class Paused extends Worker<Req, Res> {
      async handle(req: Req): Promise<Res> {
        calls++;
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Paused] });
    try {
      await app.consumers[0]?.pause();
      const outcomes = Promise.allSettled(Array.from({ length: 50 }, (_, n) => client.request(queue, { n }, { timeoutMs: 300 })));
      await sleep(1000);
      await app.consumers[0]?.resume();
      const settled = await outcomes;
      assert.equal(settled.filter((o) => o.status === 'rejected' && o.reason instanceof RequestTimeoutError).length, 50);
      await waitFor('the queue empty', async () => {
        const c = await queueCounts(queue);
        return c.ready === 0 && c.unacked === 0;
      });
      assert.equal(calls, 0, 'no expired request reached the handler');
      // The broker dead-lettered them (x-death expired). Replayed, they are a fresh start: the
      // deadline in their correlation id is not theirs any more, so they run (their replies come late).
      await waitFor('the 50 in the DLQ', async () => (await queueCounts(deadLetterQueueName(queue))).ready === 50);
      const lateBefore = client.stats().requests?.lateReplies ?? 0;
      const replay = await replayDeadLetters(app.connections.publish, app.publisher, queue, {});
      assert.equal(replay.moved, 50);
      await waitFor('the replayed requests handled', async () => calls === 50, 10_000);
      await waitFor('their late replies counted', async () => (client.stats().requests?.lateReplies ?? 0) - lateBefore === 50, 5000);
    } finally {
      await app.stop();
    }
  });

  it("with the responder's breaker open, requests wait in the queue and expire there: the caller's timeout is the only cost", async () => {
    const queue = uniqueName('rpc-breaker');
    admin.trackQueue(queue);
    let calls = 0;
    @Consumer({ queue, breaker: { failureRate: 0.5, minCalls: 5, windowMs: 10_000, openMs: 4000, halfOpenProbes: 1 } })
    class Guarded extends Worker<Req, Res> {
      async handle(req: Req): Promise<Res> {
        calls++;
        if (req.n === 0) throw new DependencyDown({ retryAfterMs: 4000 });
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Guarded] });
    try {
      // The downstream says it is down: the breaker opens and the consumer leaves the queue.
      const first = client.request(queue, { n: 0 }, { timeoutMs: 300 }).catch((e: unknown) => e);
      await waitFor('the breaker open', async () => (await queueCounts(queue)).consumers === 0, 5000);
      const outcomes = await Promise.allSettled([
        first,
        ...Array.from({ length: 10 }, (_, i) => client.request(queue, { n: i + 1 }, { timeoutMs: 400 })),
      ]);
      assert.ok(outcomes.every((o) => (o.status === 'fulfilled' ? o.value : o.reason) instanceof RequestTimeoutError));
      assert.equal(calls, 1, 'no request reached the handler while the breaker was open');
      await waitFor('they expired in the broker', async () => (await queueCounts(queue)).ready === 0, 5000);
      assert.equal(app.consumers[0]?.stats().deadLettered, 0, 'nothing dead-lettered by Warren');
    } finally {
      await app.stop(0);
    }
  });

  it('a cancel notice drops only the request it names, never a message that merely shares its correlationId', async () => {
    const queue = uniqueName('rpc-corr');
    admin.trackQueue(queue);
    const handled: string[] = [];
    @Consumer({ queue })
    class Jobs extends Worker<{ id: string }> {
      async handle(job: { id: string }): Promise<void> {
        handled.push(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Jobs] });
    try {
      // A caller's notice for trace-42 (as a cancelled request sends), then a follow-up job that carries the same id.
      await admin.channel.publish(
        'warren.cancel',
        '',
        Buffer.from(JSON.stringify({ correlationId: 'trace-42', deadline: Date.now() + 60_000 })),
      );
      await sleep(200);
      await admin.sendMany(queue, [{ id: 'job-1' }], { contentType: 'application/json', correlationId: 'trace-42' });
      await waitFor('the job handled', () => handled.includes('job-1'), 5000);
      assert.equal(app.consumers[0]?.stats().cancelledBeforeStart, 0);
    } finally {
      await app.stop();
    }
  });

  it("a request's retry keeps its caller's deadline: it never runs after the caller gave up", async () => {
    const queue = uniqueName('rpc-retry');
    admin.trackQueue(queue);
    const attempts: number[] = [];
    @Consumer({ queue, retry: { attempts: 3, delayMs: 500 } })
    class Flaky extends Worker<Req, Res> {
      async handle(req: Req, ctx: MessageContext): Promise<Res> {
        attempts.push(ctx.attempt);
        if (ctx.attempt === 1) throw new Error('flaky');
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Flaky] });
    // The client is shared: count only this test's late replies.
    const lateBefore = client.stats().requests?.lateReplies ?? 0;
    try {
      await assert.rejects(client.request(queue, { n: 1 }, { timeoutMs: 300 }), RequestTimeoutError);
      // The retry copy expires at the caller's deadline (in the delay queue), comes back, and is dropped.
      await waitFor(
        'settled',
        async () => {
          const c = await queueCounts(queue);
          return (
            c.ready === 0 &&
            c.unacked === 0 &&
            (app.consumers[0]?.stats().retried ?? 0) === 1 &&
            (app.consumers[0]?.stats().acked ?? 0) === 1
          );
        },
        5000,
      );
      assert.deepEqual(attempts, [1], 'the retry never ran');
      assert.equal((client.stats().requests?.lateReplies ?? 0) - lateBefore, 0);
    } finally {
      await app.stop();
    }
  });

  it('a publisher without configure permission still answers requests: no cancel notices, no wedged channel', async () => {
    const vhost = uniqueName('rpc-vhost');
    const user = uniqueName('rpc-user');
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('add_user', user, 'secret-pw');
    // Guest sets up the queue; the user may write and read but configure nothing.
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    await rabbitmqctl('set_permissions', '-p', vhost, user, '^$', '.*', '.*');
    const base = new URL(BROKER_URL);
    const vhostUrl = (u: string, p: string) => `amqp://${u}:${p}@${base.host}/${encodeURIComponent(vhost)}`;
    const queue = uniqueName('rpc-noconf');
    @Consumer({ queue, deadLetter: false })
    class Echo extends Worker<Req, Res> {
      async handle(req: Req): Promise<Res> {
        return { doubled: req.n * 2, worker: 0 };
      }
    }
    const app = await startTestApp({ consumers: [Echo] }, { urls: vhostUrl('guest', 'guest') });
    const limited = await createPublisher({ url: vhostUrl(user, 'secret-pw'), logger: silentLogger() });
    try {
      const closes: unknown[] = [];
      limited.events.on('channelClosed', (e) => closes.push(e));
      const reply = await limited.request<Res>(queue, { n: 4 }, { timeoutMs: 5000 });
      assert.equal(reply.doubled, 8);
      await limited.send(queue, { n: 5 }); // plain publishes go on
      await assert.rejects(limited.request(queue, { n: 6 }, { timeoutMs: 1, signal: AbortSignal.abort() }), RequestCancelledError);
      await sleep(300);
      assert.equal(closes.length, 0, 'the confirm channel never closed');
    } finally {
      await limited.close();
      await app.stop();
      await rabbitmqctl('delete_user', user);
      await rabbitmqctl('delete_vhost', vhost);
    }
  });

  it('the worker dies mid-request (SIGKILL): the caller gets exactly one outcome, from the restarted worker', async () => {
    const queue = uniqueName('rpc-kill');
    admin.trackQueue(queue);
    const out = join(tmpdir(), `${queue}.log`);
    const env = { FIXTURE_QUEUE: queue, FIXTURE_DELAY_MS: '1500', FIXTURE_OUT: out };
    const first = spawnWarren(['start', fixture('rpcApp')], env);
    let second: ReturnType<typeof spawnWarren> | undefined;
    try {
      await waitFor('the first worker consuming', async () => (await queueCounts(queue).catch(() => undefined))?.consumers === 1, 15_000);
      const outcomes: string[] = [];
      const pending = client.request<{ doubled: number; pid: number }>(queue, { n: 21 }, { timeoutMs: 15_000 }).then(
        (r) => outcomes.push(`reply ${r.doubled} from ${r.pid}`),
        (e: Error) => outcomes.push(`error ${e.name}`),
      );
      await waitFor('the first worker started on it', () => readLog(out).includes('start 21'), 15_000);
      first.child.kill('SIGKILL');
      await first.exited;
      second = spawnWarren(['start', fixture('rpcApp')], env);
      await pending;
      await sleep(500); // a second outcome, if there were one, would come within this
      assert.equal(outcomes.length, 1, `exactly one outcome: ${outcomes.join('; ')}`);
      assert.match(outcomes[0] as string, /^reply 42 from \d+$/);
      assert.notEqual(Number((outcomes[0] as string).split(' ').pop()), first.child.pid, 'answered by the restarted worker');
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
      rmSync(out, { force: true });
    }
  });
});

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
