import 'reflect-metadata';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type ConsumerOptions, defineApp, type MessageContext, silentLogger, WarrenApp, Worker } from '@warren/core';
import * as amqp from 'amqplib';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { ModelDownstream } from '../lib/downstream.js';
import { publishWindowed } from '../lib/rawPublish.js';
import { alternate, median, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';

/** The downstream: 16 workers, 20 ms a call unloaded, ±10 % noise. */
const CAPACITY = 16;
const BASE_MS = 20;
const SIGMA = 0.1;
const STATIC = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Each run: this long to settle (the adaptive limit starts at min), then this long measured. */
const WARMUP_MS = 2000;
const MEASURE_MS = 4000;
/** More than the best subject can take in a run, so the queue never runs dry (a dry queue is not back-pressure). */
const MESSAGES = Math.ceil(((CAPACITY / BASE_MS) * (WARMUP_MS + MEASURE_MS) * 1.5) / 100) * 100;

interface Run {
  rate: number;
  p50: number;
  p99: number;
}

async function fill(url: string, queue: string): Promise<void> {
  const conn = await amqp.connect(url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.purgeQueue(queue);
    await publishWindowed(ch, queue, MESSAGES, 1000, (i) => ({
      body: Buffer.from(`{"i":${i}}`),
      props: { contentType: 'application/json' },
    }));
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Handlers that each make one call to the downstream, from the moment intake starts; measured after the warm-up. */
async function measure(downstream: ModelDownstream, start: () => Promise<void>, stop: () => Promise<void>): Promise<Run> {
  await start();
  const t0 = performance.now();
  try {
    await sleep(WARMUP_MS + MEASURE_MS);
  } finally {
    await stop();
  }
  const w = downstream.window(t0 + WARMUP_MS, t0 + WARMUP_MS + MEASURE_MS);
  return { rate: w.count / (MEASURE_MS / 1000), p50: w.p50, p99: w.p99 };
}

/** Raw amqplib told the downstream's capacity: prefetch = capacity, call, ack. */
async function raw(url: string, queue: string, downstream: ModelDownstream): Promise<Run> {
  const conn = await amqp.connect(url, { noDelay: true });
  conn.on('error', () => undefined);
  const stopped = new AbortController();
  setMaxListeners(0, stopped.signal); // one listener per call in flight
  return measure(
    downstream,
    async () => {
      const ch = await conn.createChannel();
      await ch.prefetch(CAPACITY);
      await ch.consume(queue, (msg) => {
        if (msg === null) return;
        JSON.parse(msg.content.toString('utf8'));
        downstream.call(stopped.signal).then(
          () => ch.ack(msg),
          () => undefined, // stopped: the broker requeues it with the connection
        );
      });
    },
    () => {
      stopped.abort();
      return conn.close().catch(() => undefined);
    },
  );
}

async function warren(url: string, queue: string, downstream: ModelDownstream, options: Partial<ConsumerOptions>): Promise<Run> {
  class BenchAdaptive extends Worker {
    async handle(_payload: unknown, ctx: MessageContext): Promise<void> {
      await downstream.call(ctx.signal);
    }
  }
  // deadLetter: false keeps the queue argument-free, the plain durable queue raw amqplib reads too.
  Consumer({ queue, deadLetter: false, ...options })(BenchAdaptive);
  const app = await WarrenApp.create(defineApp({ name: 'bench', consumers: [BenchAdaptive] }), {
    urls: url,
    logger: silentLogger(),
    liveness: false,
  });
  return measure(
    downstream,
    () => app.start(),
    () => app.stop(0).then(() => undefined),
  );
}

const subjectName = (k: string): string =>
  k === 'raw'
    ? `raw amqplib, prefetch ${CAPACITY} (told the capacity)`
    : k === 'adaptive'
      ? 'warren adaptive { min 1, max 256 }, prefetch 256'
      : `warren static prefetch ${k.slice(1)}, concurrency ${k.slice(1)}`;

export function adaptiveConcurrencyScenario(model: 'queue' | 'collapse'): Scenario {
  const name = model === 'queue' ? 'adaptive-concurrency' : 'adaptive-concurrency-collapse';
  return {
    name,
    extra: true,
    description:
      `handlers calling a downstream of ${CAPACITY} workers (${BASE_MS} ms unloaded; past capacity ${model === 'queue' ? 'calls queue' : 'every call slows'}): ` +
      `static prefetch ${STATIC.join(', ')} against the adaptive limit; ${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s`,
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const queue = benchQueueName('adaptive');
      const keys = ['raw', ...STATIC.map((n) => `s${n}`), 'adaptive'];
      const p50: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
      const p99: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
      const timed = (key: string, run: (d: ModelDownstream) => Promise<Run>) => async (): Promise<number> => {
        await fill(ctx.url, queue);
        const r = await run(new ModelDownstream(model, CAPACITY, BASE_MS, SIGMA));
        p50[key]?.push(r.p50);
        p99[key]?.push(r.p99);
        ctx.note(`  ${subjectName(key)}: ${Math.round(r.rate)} msg/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
        return r.rate;
      };
      const subjects: Record<string, () => Promise<number>> = { raw: timed('raw', (d) => raw(ctx.url, queue, d)) };
      for (const n of STATIC) subjects[`s${n}`] = timed(`s${n}`, (d) => warren(ctx.url, queue, d, { prefetch: n, concurrency: n }));
      subjects.adaptive = timed('adaptive', (d) =>
        warren(ctx.url, queue, d, { prefetch: 256, concurrency: { adaptive: { min: 1, max: 256 } } }),
      );
      const rates = await withQueue(ctx.url, queue, () => alternate(ctx.rounds, subjects));

      const rate = (k: string): number => median(rates[k] as number[]);
      const latency = (k: string): number => median(p99[k] as number[]);
      const best = STATIC.map((n) => `s${n}`).reduce((a, b) => (rate(b) > rate(a) ? b : a));
      const unloaded = median(p50.s1 as number[]);
      const ratio = rate('adaptive') / rate(best);
      const p99Ratio = latency('adaptive') / unloaded;
      ctx.note(
        `  best static: ${subjectName(best)}; adaptive ${ratio.toFixed(2)}x its throughput (target >= 0.9: ${ratio >= 0.9 ? 'met' : 'MISSED'}); ` +
          `adaptive p99 ${latency('adaptive').toFixed(1)} ms = ${p99Ratio.toFixed(2)}x the unloaded latency (static 1 p50, ${unloaded.toFixed(1)} ms; target <= 2: ${p99Ratio <= 2 ? 'met' : 'MISSED'})`,
      );
      const rateRows = rowsFromRounds(name, 'msg/s', rates, subjectName);
      const p99Rows = rowsFromRounds(`${name}-p99`, 'ms p99', p99, subjectName);
      for (const [rows, value] of [
        [rateRows, rate],
        [p99Rows, latency],
      ] as const) {
        const adaptiveRow = rows.at(-1);
        if (adaptiveRow !== undefined) adaptiveRow.ratioToBestStatic = value('adaptive') / value(best);
      }
      return [...rateRows, ...p99Rows];
    },
  };
}

export const adaptiveConcurrency = adaptiveConcurrencyScenario('queue');
export const adaptiveConcurrencyCollapse = adaptiveConcurrencyScenario('collapse');
