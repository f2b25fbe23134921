import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { Consumer, createPublisher, defineApp, silentLogger, startApp, Worker } from '@warren/core';
import * as amqp from 'amqplib';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchRow, Scenario, Target } from '../lib/types.js';
import { STEADY_WARMUP_MS } from '../lib/windows.js';

const WINDOW_MS = 3000;
const REPLY_TO = 'amq.rabbitmq.reply-to';

type Subject = 'raw' | 'same' | 'warren';

interface Result {
  perSec: number;
  p50: number;
  p99: number;
}

/**
 * Keeps `callers` requests in flight for WINDOW_MS after `warmupMs` of requests (the JIT, and each
 * subject's first-request set-up: a reply consumer, a cancel exchange); each caller sends its next
 * request when its reply comes.
 */
async function drive(callers: number, warmupMs: number, call: () => Promise<void>): Promise<Result> {
  const warmUntil = performance.now() + warmupMs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < warmUntil) await call();
    }),
  );
  const latencies: number[] = [];
  const until = performance.now() + WINDOW_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { perSec: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/** A responder's and a caller's connection (Nagle off, as Warren's are), closed after `run`. */
async function withConnections(
  url: string,
  run: (server: amqp.ChannelModel, client: amqp.ChannelModel) => Promise<Result>,
): Promise<Result> {
  const server = await amqp.connect(url, { noDelay: true });
  const client = await amqp.connect(url, { noDelay: true });
  try {
    return await run(server, client);
  } finally {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
  }
}

/** Consumes direct reply-to on `channel` (no ack): each reply decoded, then its caller woken by correlationId. */
async function awaitReplies(channel: amqp.Channel): Promise<Map<string, () => void>> {
  const waiting = new Map<string, () => void>();
  await channel.consume(
    REPLY_TO,
    (m) => {
      if (m === null) return;
      JSON.parse(m.content.toString());
      waiting.get(m.properties.correlationId as string)?.();
      waiting.delete(m.properties.correlationId as string);
    },
    { noAck: true },
  );
  return waiting;
}

/** Published as Warren publishes: a message id and a timestamp on every message. */
const stamped = (): { messageId: string; timestamp: number } => ({ messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) });

/**
 * Raw amqplib request/reply over direct reply-to: a responder that replies and acks, and a caller
 * channel that consumes amq.rabbitmq.reply-to and matches replies by correlationId.
 *
 * `guarantees` false: done well and no more — no deadline, no cancellation, no confirms, the least
 * work a request/reply can be (the target's reference).
 *
 * `guarantees` true: the protocol work Warren's request/reply does, without Warren: the request on
 * a confirm channel, `mandatory` (NoResponderError), non-persistent with an `expiration` and the
 * deadline in its correlation id (the deadline travels), a message id and timestamp, a timer per
 * request (its timeout); the responder publishes the reply on a confirm channel (no status header:
 * an ok reply has none) and acks the request at once, as Warren's Replier does. The row that tells the protocol's cost apart
 * from the framework's.
 */
function raw(url: string, queue: string, callers: number, warmupMs: number, guarantees: boolean): Promise<Result> {
  return withConnections(url, async (server, client) => {
    const open = (c: amqp.ChannelModel): Promise<amqp.Channel> => (guarantees ? c.createConfirmChannel() : c.createChannel());
    // On a confirm channel, a callback takes the broker's ack; on a plain one, none is given.
    const confirmed = guarantees ? () => undefined : undefined;
    const sch = await open(server);
    await sch.prefetch(100);
    await sch.consume(queue, (m) => {
      if (m === null) return;
      const req = JSON.parse(m.content.toString()) as { n: number };
      const options: amqp.Options.Publish = { correlationId: m.properties.correlationId as string, contentType: 'application/json' };
      if (guarantees) Object.assign(options, stamped());
      (sch as amqp.ConfirmChannel).sendToQueue(
        m.properties.replyTo as string,
        Buffer.from(JSON.stringify({ doubled: req.n * 2 })),
        options,
        confirmed,
      );
      sch.ack(m);
    });
    const cch = await open(client);
    const waiting = await awaitReplies(cch);
    let n = 0;
    return await drive(
      callers,
      warmupMs,
      () =>
        new Promise<void>((resolve) => {
          const deadline = Date.now() + 10_000;
          // Warren's request id carries the deadline (w1.<deadline>.<uuid>): a header would cost the broker a table per message.
          const correlationId = guarantees ? `w1.${deadline}.${randomUUID()}` : randomUUID();
          const options: amqp.Options.Publish = { correlationId, replyTo: REPLY_TO, contentType: 'application/json' };
          if (guarantees) {
            const timer = setTimeout(() => waiting.delete(correlationId), 10_000);
            waiting.set(correlationId, () => {
              clearTimeout(timer);
              resolve();
            });
            Object.assign(options, { mandatory: true, persistent: false, expiration: '10000' }, stamped());
          } else waiting.set(correlationId, resolve);
          (cch as amqp.ConfirmChannel).sendToQueue(queue, Buffer.from(JSON.stringify({ n: n++ })), options, confirmed);
        }),
    );
  });
}

/** Warren as an app would use it: a @Consumer whose handler returns the reply, and publisher.request(). */
async function warren(url: string, queue: string, callers: number, warmupMs: number): Promise<Result> {
  // deadLetter off: the queue is the plain one raw amqplib uses (the same arguments).
  @Consumer({ queue, prefetch: 100, deadLetter: false })
  class Doubler extends Worker<{ n: number }, { doubled: number }> {
    async handle(req: { n: number }): Promise<{ doubled: number }> {
      return { doubled: req.n * 2 };
    }
  }
  const app = await startApp(defineApp({ name: 'bench-rpc', consumers: [Doubler] }), { url, logger: silentLogger(), liveness: false });
  const client = await createPublisher({ url, appName: 'bench-rpc-client', logger: silentLogger() });
  try {
    let n = 0;
    return await drive(callers, warmupMs, async () => {
      await client.request<{ doubled: number }>(queue, { n: n++ }, { timeoutMs: 10_000 });
    });
  } finally {
    await client.close();
    await app.stop();
  }
}

export const rpc: Scenario = {
  name: 'rpc round-trip',
  description: `request/reply round trips over direct reply-to, ${WINDOW_MS / 1000} s per subject after ${STEADY_WARMUP_MS / 1000} s of warm-up (--warmup), 1 and 100 concurrent callers`,
  async run(ctx) {
    const rows: BenchRow[] = [];
    const warmupMs = ctx.warmupMs ?? STEADY_WARMUP_MS;
    const labels: Record<Subject, string> = {
      raw: 'raw amqplib direct reply-to',
      same: "raw amqplib, Warren's guarantees",
      warren: 'warren request()',
    };
    const label = (k: string): string => labels[k as Subject];
    const target: Record<string, Target> = { warren: { of: 'ratio', op: '>=', bound: 0.95 } };
    for (const callers of [1, 100]) {
      const queue = benchQueueName(`rpc${callers}`);
      const all: Record<Subject, Result[]> = { raw: [], same: [], warren: [] };
      const timed = (k: Subject, fn: () => Promise<Result>) => async (): Promise<number> => {
        const r = await fn();
        all[k].push(r);
        ctx.note(`  ${label(k)}, ${callers} callers: ${r.perSec.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`);
        return r.perSec;
      };
      const rates = await withQueue(ctx.url, queue, () =>
        alternate(ctx.rounds, {
          raw: timed('raw', () => raw(ctx.url, queue, callers, warmupMs, false)),
          same: timed('same', () => raw(ctx.url, queue, callers, warmupMs, true)),
          warren: timed('warren', () => warren(ctx.url, queue, callers, warmupMs)),
        }),
      );
      const scenario = `rpc round-trip concurrency=${callers}`;
      const field = (f: 'p50' | 'p99'): Record<string, number[]> => ({
        raw: all.raw.map((r) => r[f]),
        same: all.same.map((r) => r[f]),
        warren: all.warren.map((r) => r[f]),
      });
      rows.push(
        ...rowsFromRounds(scenario, 'req/s', rates, label, target),
        ...rowsFromRounds(`rpc round-trip p50 concurrency=${callers}`, 'ms', field('p50'), label),
        ...rowsFromRounds(`rpc round-trip p99 concurrency=${callers}`, 'ms', field('p99'), label),
      );
    }
    return rows;
  },
};
