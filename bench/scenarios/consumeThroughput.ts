import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type ConsumerOptions, defineApp, silentLogger, WarrenApp, Worker } from '@warren/core';
import * as amqp from 'amqplib';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { publishWindowed } from '../lib/rawPublish.js';
import { alternate, median } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';

const SCENARIO = 'consume-throughput';
/** Messages per drain; BENCH_CONSUME_MESSAGES overrides it (run.ts takes no per-scenario options). */
const MESSAGES = Number(process.env.BENCH_CONSUME_MESSAGES ?? 20_000);
const PREFETCH = 32;
const CONCURRENCY = 8;
const TIMEOUT_MS = 30_000;
const FILL_WINDOW = 1000;
const BODY_BYTES = 1024;
/** Attempts per measurement: a shared broker may close our connections or raise an alarm mid-round. */
const ATTEMPTS = 3;
/** A fill or drain that takes longer than this is abandoned and retried (an alarm, a lost connection). */
const STEP_LIMIT_MS = 60_000;

/** A 1 KiB JSON body, different per message, so JSON.parse does the same work for every subject. */
function body(i: number): Buffer {
  const head = `{"id":${i},"pad":"`;
  const tail = '"}';
  return Buffer.from(head + 'a'.repeat(BODY_BYTES - head.length - tail.length) + tail, 'utf8');
}

function withLimit<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms (broker alarm or lost connection?)`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Empties the queue and puts exactly `n` persistent messages in it through a raw confirm channel. Not timed. */
async function fill(url: string, queue: string, n: number): Promise<void> {
  const conn = await amqp.connect(url, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.purgeQueue(queue);
    const closed = new Promise<never>((_, reject) => conn.once('close', () => reject(new Error('fill connection closed'))));
    closed.catch(() => undefined);
    await Promise.race([
      closed,
      publishWindowed(ch, queue, n, FILL_WINDOW, (i) => ({
        body: body(i),
        props: { persistent: true, contentType: 'application/json', messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) },
      })),
    ]);
    const { messageCount } = await ch.checkQueue(queue);
    if (messageCount !== n) throw new Error(`queue holds ${messageCount} messages after the fill, expected ${n}`);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Raw amqplib, the minimal correct at-least-once consumer: prefetch, manual ack, JSON.parse, ack each. */
async function rawDrain(url: string, queue: string, n: number): Promise<Drain> {
  const conn = await amqp.connect(url, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(PREFETCH);
    return await new Promise<Drain>((resolve, reject) => {
      conn.once('close', () => reject(new Error('raw consumer connection closed')));
      ch.once('close', () => reject(new Error('raw consumer channel closed')));
      let started = 0;
      let cpu = process.cpuUsage();
      let settled = 0;
      ch.consume(
        queue,
        (msg) => {
          if (msg === null) {
            reject(new Error('raw consumer cancelled by the broker'));
            return;
          }
          if (started === 0) {
            started = performance.now();
            cpu = process.cpuUsage();
          }
          JSON.parse(msg.content.toString('utf8'));
          ch.ack(msg);
          if (++settled === n) resolve(result(n, started, cpu));
        },
        { noAck: false },
      ).catch(reject);
    });
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A fresh @Consumer class per app: the decorator's options are per class, and the queue name per run. */
function consumerClass(queue: string, extra: Partial<ConsumerOptions>): new () => Worker {
  class BenchConsumer extends Worker {
    onFirst: (() => void) | undefined;
    async handle(): Promise<void> {
      // The payload is already decoded by Warren; the handler does nothing with it.
      this.onFirst?.();
    }
  }
  // deadLetter: false keeps the work queue argument-free, so it is the same plain durable queue the raw subject drains.
  Consumer({ queue, prefetch: PREFETCH, deadLetter: false, ...extra })(BenchConsumer);
  return BenchConsumer;
}

/** Warren as an app runs it, in-process: from the first handler call to the Nth 'settled' (emitted right after channel.ack). */
async function warrenDrain(url: string, queue: string, n: number, extra: Partial<ConsumerOptions>): Promise<Drain> {
  const cls = consumerClass(queue, extra);
  const app = await WarrenApp.create(defineApp({ name: 'bench', consumers: [cls] }), {
    urls: url,
    logger: silentLogger(),
    liveness: false,
  });
  const handler = app.container.get(cls) as InstanceType<typeof cls> & { onFirst: (() => void) | undefined };
  try {
    let started = 0;
    let cpu = process.cpuUsage();
    handler.onFirst = () => {
      started = performance.now();
      cpu = process.cpuUsage();
      handler.onFirst = undefined;
    };
    const done = new Promise<Drain>((resolve, reject) => {
      let settled = 0;
      app.events.on('settled', (_consumer, outcome, _ms, onBroker) => {
        if (outcome.action !== 'ack' || !onBroker) {
          reject(new Error(`a delivery was settled as ${outcome.action} (on broker: ${onBroker})`));
          return;
        }
        if (++settled === n) resolve(result(n, started, cpu));
      });
      app.events.on('consumerInterrupted', (_consumer, reason) => reject(new Error(`warren consumer interrupted: ${reason}`)));
      app.events.on('fatal', (error) => reject(error));
    });
    done.catch(() => undefined);
    await app.start();
    const rate = await withLimit('warren drain', STEP_LIMIT_MS, done);
    const stats = app.consumers[0]?.stats();
    if (stats === undefined || stats.acked !== n || stats.channelOpens !== 1) {
      throw new Error(`warren stats off: acked ${stats?.acked}, channelOpens ${stats?.channelOpens}`);
    }
    return rate;
  } finally {
    await app.stop(2000).catch(() => undefined);
  }
}

/** msg/s from the first delivery to the Nth ack, and this process's CPU per message meanwhile (the part the client controls). */
interface Drain {
  rate: number;
  cpuUsPerMsg: number;
}

function result(n: number, started: number, cpuAtStart: NodeJS.CpuUsage): Drain {
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  return { rate: n / (elapsed / 1000), cpuUsPerMsg: (cpu.user + cpu.system) / n };
}

/** Deletes the queue on a connection of its own: withQueue's admin channel may have died with a broker-wide close. */
async function deleteQueue(url: string, queue: string): Promise<void> {
  try {
    const conn = await amqp.connect(url);
    conn.on('error', () => undefined);
    try {
      const ch = await conn.createChannel();
      await ch.deleteQueue(queue);
    } finally {
      await conn.close().catch(() => undefined);
    }
  } catch {
    // Best effort; withQueue tried already.
  }
}

const SUBJECTS = {
  raw: `raw amqplib, prefetch ${PREFETCH}, JSON.parse + ack each`,
  warren: `warren prefetch ${PREFETCH}, no-op handler`,
  timeout: `warren prefetch ${PREFETCH}, timeoutMs ${TIMEOUT_MS}`,
  concurrency: `warren prefetch ${PREFETCH}, concurrency ${CONCURRENCY}`,
} as const;
type Subject = keyof typeof SUBJECTS;

export function consumeThroughputScenario(n: number = MESSAGES): Scenario {
  return {
    name: SCENARIO,
    description: `drain ${n} pre-filled persistent 1 KiB JSON messages from a durable queue (prefetch ${PREFETCH}, ack each), first delivery to last ack`,
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const queue = benchQueueName('consume');
      let retries = 0;
      const cpu: Record<Subject, number[]> = { raw: [], warren: [], timeout: [], concurrency: [] };
      const timed = (label: string, subject: Subject, drain: () => Promise<Drain>) => async (): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          try {
            await withLimit('fill', STEP_LIMIT_MS, fill(ctx.url, queue, n));
            const d = await withLimit(label, STEP_LIMIT_MS + 10_000, drain());
            ctx.note(`  ${label}: ${Math.round(d.rate)} msg/s, ${d.cpuUsPerMsg.toFixed(1)} µs CPU/msg`);
            cpu[subject].push(d.cpuUsPerMsg);
            return d.rate;
          } catch (error) {
            if (attempt >= ATTEMPTS) throw error;
            retries++;
            ctx.note(`  ${label}: round discarded (${(error as Error).message}); retrying (${attempt}/${ATTEMPTS - 1})`);
            await sleep(1000);
          }
        }
      };
      try {
        const r = await withQueue(ctx.url, queue, () =>
          alternate(ctx.rounds, {
            raw: timed('raw', 'raw', () => rawDrain(ctx.url, queue, n)),
            warren: timed('warren', 'warren', () => warrenDrain(ctx.url, queue, n, {})),
            timeout: timed('warren timeoutMs', 'timeout', () => warrenDrain(ctx.url, queue, n, { timeoutMs: TIMEOUT_MS })),
            concurrency: timed('warren concurrency', 'concurrency', () => warrenDrain(ctx.url, queue, n, { concurrency: CONCURRENCY })),
          }),
        );
        // Same-round ratios show how much of a median gap is noise.
        const perRound = (k: 'warren' | 'timeout' | 'concurrency'): string =>
          r[k].map((v, i) => (v / (r.raw[i] as number)).toFixed(2)).join(' ');
        ctx.note(
          `  per-round ratio to raw: warren ${perRound('warren')}; timeoutMs ${perRound('timeout')}; concurrency ${perRound('concurrency')}`,
        );
        if (retries > 0) ctx.note(`  ${retries} measurement(s) discarded and re-run after a broker-side interruption`);
        const rows = (scenario: string, unit: string, values: Record<Subject, number[]>): BenchRow[] => {
          const raw = median(values.raw);
          return (Object.keys(SUBJECTS) as Subject[]).map((k) => {
            const value = median(values[k]);
            return { scenario, subject: SUBJECTS[k], value, unit, ratioToRaw: value / raw };
          });
        };
        return [...rows(SCENARIO, 'msg/s', r), ...rows(`${SCENARIO}-cpu`, 'µs CPU/msg', cpu)];
      } finally {
        await deleteQueue(ctx.url, queue);
      }
    },
  };
}

export const consumeThroughput: Scenario = consumeThroughputScenario();
