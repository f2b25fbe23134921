import { benchQueueName, withQueue } from '../lib/broker.js';
import { runJob } from '../lib/runJob.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchRow, Scenario, Target } from '../lib/types.js';
import { STEADY_WARMUP_MS } from '../lib/windows.js';
import type { RpcResult } from '../measure/jobs.js';
import { RPC_LABELS, RPC_SUBJECTS, type RpcSubject } from '../subjects/rpc.js';

const WINDOW_MS = 3000;

export const rpc: Scenario = {
  name: 'rpc round-trip',
  description: `request/reply round trips over direct reply-to, ${WINDOW_MS / 1000} s per subject after ${STEADY_WARMUP_MS / 1000} s of warm-up (--warmup), 1 and 100 concurrent callers`,
  async run(ctx) {
    const rows: BenchRow[] = [];
    const warmupMs = ctx.warmupMs ?? STEADY_WARMUP_MS;
    const label = (k: string): string => RPC_LABELS[k as RpcSubject];
    const target: Record<string, Target> = { warren: { of: 'ratio', op: '>=', bound: 0.95 } };
    for (const callers of [1, 100]) {
      const queue = benchQueueName(`rpc${callers}`);
      const all = Object.fromEntries(RPC_SUBJECTS.map((k) => [k, [] as RpcResult[]])) as Record<RpcSubject, RpcResult[]>;
      const timed = (k: RpcSubject) => async (): Promise<number> => {
        const r = await runJob<RpcResult>(
          ctx,
          { kind: 'rpc', module: 'rpc', subject: k, url: ctx.url, queue, callers, window: { warmupMs, windowMs: WINDOW_MS } },
          async () => undefined,
          120_000,
        );
        all[k].push(r);
        ctx.note(
          `  ${label(k)}, ${callers} callers: ${r.perSec.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, ` +
            `${r.cpuUs.toFixed(1)} µs CPU/round trip, broker ${r.brokerCpuUs.toFixed(1)}`,
        );
        return r.perSec;
      };
      const rates = await withQueue(ctx.url, queue, () =>
        alternate(ctx.rounds, Object.fromEntries(RPC_SUBJECTS.map((k) => [k, timed(k)]))),
      );
      const field = (f: Exclude<keyof RpcResult, 'perSec'>): Record<string, number[]> =>
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
