import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { Consumer, createPublisher, defineApp, silentLogger, startApp, Worker } from '@warren/core';
import * as amqp from 'amqplib';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchRow, Scenario, Target } from '../lib/types.js';
import { STEADY_WARMUP_MS } from '../lib/windows.js';
import { brokerCpuUs } from '../measure/brokerCpu.js';

const WINDOW_MS = 3000;
const REPLY_TO = 'amq.rabbitmq.reply-to';

type Subject = 'raw' | 'same' | 'unconfirmed' | 'warren';

/** What raw amqplib does beside the request and the reply: see raw(). */
type RawMode = 'least' | 'guarantees' | 'unconfirmed';

interface Result {
  perSec: number;
  p50: number;
  p99: number;
  /** This process's CPU (caller and responder both), µs per round trip. */
  cpuUs: number;
  /** The local broker's CPU, µs per round trip (NaN without one). */
  brokerCpuUs: number;
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
  const cpu = process.cpuUsage();
  const broker = brokerCpuUs();
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
  const used = process.cpuUsage(cpu);
  const brokerUs = brokerCpuUs() - broker;
  const n = latencies.length;
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(n - 1, Math.floor(p * n))] ?? 0;
  return { perSec: n / seconds, p50: at(0.5), p99: at(0.99), cpuUs: (used.user + used.system) / n, brokerCpuUs: brokerUs / n };
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
 * `least`: done well and no more — no deadline, no cancellation, no confirms, the least work a
 * request/reply can be (the target's reference).
 *
 * `guarantees`: the protocol work Warren's request/reply does, without Warren: the request on a
 * confirm channel, `mandatory` (NoResponderError), non-persistent with an `expiration` and the
 * deadline in its correlation id (the deadline travels), a message id and timestamp, a timer per
 * request (its timeout); the responder publishes the reply on a confirm channel (no status header:
 * an ok reply has none) and acks the request at once, as Warren's Replier does. The row that tells
 * the protocol's cost apart from the framework's.
 *
 * `unconfirmed`: `guarantees` on channels without publisher confirms, on both sides: what the
 * confirms cost (the reply is a request's end-to-end acknowledgement; Warren confirms both).
 */
function raw(url: string, queue: string, callers: number, warmupMs: number, mode: RawMode): Promise<Result> {
  const guarantees = mode !== 'least';
  const confirms = mode === 'guarantees';
  return withConnections(url, async (server, client) => {
    const open = (c: amqp.ChannelModel): Promise<amqp.Channel> => (confirms ? c.createConfirmChannel() : c.createChannel());
    // On a confirm channel, a callback takes the broker's ack; on a plain one, none is given.
    const confirmed = confirms ? () => undefined : undefined;
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
      unconfirmed: "raw amqplib, Warren's less confirms",
      warren: 'warren request()',
    };
    const label = (k: string): string => labels[k as Subject];
    const target: Record<string, Target> = { warren: { of: 'ratio', op: '>=', bound: 0.95 } };
    for (const callers of [1, 100]) {
      const queue = benchQueueName(`rpc${callers}`);
      const all: Record<Subject, Result[]> = { raw: [], same: [], unconfirmed: [], warren: [] };
      const timed = (k: Subject, fn: () => Promise<Result>) => async (): Promise<number> => {
        const r = await fn();
        all[k].push(r);
        ctx.note(
          `  ${label(k)}, ${callers} callers: ${r.perSec.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, ` +
            `${r.cpuUs.toFixed(1)} µs CPU/round trip, broker ${r.brokerCpuUs.toFixed(1)}`,
        );
        return r.perSec;
      };
      const rates = await withQueue(ctx.url, queue, () =>
        alternate(ctx.rounds, {
          raw: timed('raw', () => raw(ctx.url, queue, callers, warmupMs, 'least')),
          same: timed('same', () => raw(ctx.url, queue, callers, warmupMs, 'guarantees')),
          unconfirmed: timed('unconfirmed', () => raw(ctx.url, queue, callers, warmupMs, 'unconfirmed')),
          warren: timed('warren', () => warren(ctx.url, queue, callers, warmupMs)),
        }),
      );
      const field = (f: Exclude<keyof Result, 'perSec'>): Record<string, number[]> =>
        Object.fromEntries(Object.entries(all).map(([k, results]) => [k, results.map((r) => r[f])]));
      const named = (what: string): string => `rpc round-trip${what} concurrency=${callers}`;
      rows.push(
        ...rowsFromRounds(named(''), 'req/s', rates, label, target),
        ...rowsFromRounds(named(' p50'), 'ms', field('p50'), label),
        ...rowsFromRounds(named(' p99'), 'ms', field('p99'), label),
        ...rowsFromRounds(named(' cpu'), 'µs CPU/req', field('cpuUs'), label),
        ...rowsFromRounds(named(' broker cpu'), 'µs broker CPU/req', field('brokerCpuUs'), label),
      );
    }
    return rows;
  },
};
