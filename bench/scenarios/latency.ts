import { DEFAULT_PREFETCH } from '@warren/core';
import { benchQueueName, Reservoir, withQueue } from '../lib/broker.js';
import { runJob } from '../lib/runJob.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario, Target } from '../lib/types.js';
import { windowFor } from '../lib/windows.js';
import type { LatencyResult } from '../measure/jobs.js';
import { PEERS, RAW, type SubjectSpec, selectSubjects, WARREN } from '../subjects/catalogue.js';

const RATE = 2000;
const ATTEMPTS = 3;
/** amqplib's own default socket: Nagle's algorithm on, so a small write can wait for the previous one's ACK. */
const RAW_DEFAULTS: SubjectSpec = { key: 'raw-defaults', module: 'raw', label: 'raw amqplib defaults (Nagle on)', variant: {} };

/**
 * End-to-end latency at a steady 2,000 msg/s offered: publish call to handler call, one process
 * per subject publishing and consuming through its library's defaults (every subject at Warren's
 * default prefetch, so the broker does the same work). Raw amqplib with noDelay is the baseline.
 */
export const latency: Scenario = {
  name: `latency rate=${RATE}`,
  description: `publish -> handler latency at ${RATE} msg/s offered, 1 KiB persistent messages, each library's defaults`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const subjects = selectSubjects([{ ...RAW, label: 'raw amqplib noDelay' }, RAW_DEFAULTS, WARREN, ...PEERS], ctx.subjects);
    const window = windowFor(ctx);
    const queue = benchQueueName('latency');
    const all: Record<string, LatencyResult[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
    await withQueue(ctx.url, queue, async () => {
      const reservoir = new Reservoir(ctx.url, queue);
      const measure = (s: SubjectSpec) => async (): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          try {
            const spec = { url: ctx.url, queue, variant: s.variant };
            const r = await runJob<LatencyResult>(
              ctx,
              {
                kind: 'latency',
                module: s.module,
                consume: { ...spec, prefetch: DEFAULT_PREFETCH, handlerMs: 0 },
                publish: { ...spec, window: 1000 },
                window,
                ratePerSec: RATE,
              },
              () => reservoir.purge(),
              120_000,
            );
            ctx.note(
              `  ${s.label}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms (${r.samples} samples, ${Math.round(r.offered)} msg/s)`,
            );
            (all[s.key] as LatencyResult[]).push(r);
            return r.p50;
          } catch (error) {
            if (attempt >= ATTEMPTS) throw error;
            ctx.note(`  ${s.label}: measurement discarded (${(error as Error).message.split('\n')[0]}); again`);
          }
        }
      };
      try {
        await alternate(ctx.rounds, Object.fromEntries(subjects.map((s) => [s.key, measure(s)])));
      } finally {
        await reservoir.close();
      }
    });
    const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
    const field = (f: 'p50' | 'p99'): Record<string, number[]> =>
      Object.fromEntries(Object.entries(all).map(([k, rs]) => [k, rs.map((r) => r[f])]));
    const p50: Record<string, Target> = { warren: { of: 'value', op: '<=', bound: 1 } };
    const p99: Record<string, Target> = { warren: { of: 'value', op: '<=', bound: 5 } };
    return [
      ...rowsFromRounds(`latency p50 rate=${RATE}`, 'ms', field('p50'), label, p50),
      ...rowsFromRounds(`latency p99 rate=${RATE}`, 'ms', field('p99'), label, p99),
    ];
  },
};
