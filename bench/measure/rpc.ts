import { keepCalling, openRpc } from '../subjects/rpc.js';
import { brokerCpuUs } from './brokerCpu.js';
import type { Job, RpcResult } from './jobs.js';
import { windowProfile } from './profile.js';

/**
 * One round of a request/reply subject, in a child of its own like every other measurement. Run
 * in the parent process after the rest of a full run, Warren's rounds at one caller cost 409–687
 * µs of CPU per round trip (median 534), against 410–474 (median 418) in a run of the rpc
 * scenario alone: the number depended on what had run before. Its caller and responder are
 * opened, `callers` requests kept in flight for `warmupMs` (the JIT, and each subject's
 * first-request set-up: a reply consumer, a cancel exchange) and then for `windowMs`, each caller
 * sending its next request when its reply comes; then closed.
 */
export async function measureRpc(job: Extract<Job, { kind: 'rpc' }>): Promise<RpcResult> {
  const pair = await openRpc(job.subject, job.url, job.queue);
  try {
    const warmUntil = performance.now() + job.window.warmupMs;
    await keepCalling(job.callers, pair.call, () => performance.now() < warmUntil);
    const latencies: number[] = [];
    const until = performance.now() + job.window.windowMs;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const broker = brokerCpuUs();
    windowProfile().open();
    const timedCall = async (): Promise<void> => {
      const t = performance.now();
      await pair.call();
      latencies.push(performance.now() - t);
    };
    await keepCalling(job.callers, timedCall, () => performance.now() < until);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const brokerUs = brokerCpuUs() - broker;
    windowProfile().close();
    const n = latencies.length;
    latencies.sort((a, b) => a - b);
    const at = (p: number): number => latencies[Math.min(n - 1, Math.floor(p * n))] ?? 0;
    return { perSec: n / seconds, p50: at(0.5), p99: at(0.99), cpuUs: (used.user + used.system) / n, brokerCpuUs: brokerUs / n };
  } finally {
    await pair.close();
  }
}
