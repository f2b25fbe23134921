import { benchQueueName, withQueue } from '../lib/broker.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchRow, Scenario, Target } from '../lib/types.js';
import { STEADY_WARMUP_MS } from '../lib/windows.js';
import { brokerCpuUs } from '../measure/brokerCpu.js';
import { keepCalling, openRpc, RPC_LABELS, RPC_SUBJECTS, type RpcSubject } from '../subjects/rpc.js';

const WINDOW_MS = 3000;

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
  await keepCalling(callers, call, () => performance.now() < warmUntil);
  const latencies: number[] = [];
  const until = performance.now() + WINDOW_MS;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const broker = brokerCpuUs();
  const timedCall = async (): Promise<void> => {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  };
  await keepCalling(callers, timedCall, () => performance.now() < until);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const brokerUs = brokerCpuUs() - broker;
  const n = latencies.length;
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(n - 1, Math.floor(p * n))] ?? 0;
  return { perSec: n / seconds, p50: at(0.5), p99: at(0.99), cpuUs: (used.user + used.system) / n, brokerCpuUs: brokerUs / n };
}

/** One round of a subject: its caller and responder opened, driven, and closed. */
async function measure(subject: RpcSubject, url: string, queue: string, callers: number, warmupMs: number): Promise<Result> {
  const pair = await openRpc(subject, url, queue);
  try {
    return await drive(callers, warmupMs, pair.call);
  } finally {
    await pair.close();
  }
}

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
      const all = Object.fromEntries(RPC_SUBJECTS.map((k) => [k, [] as Result[]])) as Record<RpcSubject, Result[]>;
      const timed = (k: RpcSubject) => async (): Promise<number> => {
        const r = await measure(k, ctx.url, queue, callers, warmupMs);
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
