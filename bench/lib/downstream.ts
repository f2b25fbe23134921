/**
 * A dependency the benchmark's handlers call, in process, with `capacity` workers and a no-load
 * latency of `baseMs` (times lognormal noise of `sigma`). Past capacity, by `model`:
 * - `queue`: calls wait their turn; latency grows with the number running (× running/capacity)
 *   and throughput stays at capacity / baseMs, like a service with a fixed pool of workers;
 * - `collapse`: each call past capacity slows every call by a whole baseMs (as the tests'
 *   SimulatedDownstream does): throughput falls as load grows (contention, thrashing).
 * The latency of a call is fixed when it starts.
 */
export class ModelDownstream {
  running = 0;
  /** Calls that completed: [when they ended, how long they took], ms. */
  readonly completed: Array<[number, number]> = [];

  constructor(
    readonly model: 'queue' | 'collapse',
    readonly capacity: number,
    readonly baseMs: number,
    readonly sigma: number,
  ) {}

  call(signal?: AbortSignal): Promise<void> {
    const n = ++this.running;
    const factor = this.model === 'queue' ? Math.max(1, n / this.capacity) : 1 + Math.max(0, n - this.capacity);
    const ms = this.baseMs * factor * lognormal(this.sigma);
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      const abort = (): void => {
        clearTimeout(timer);
        this.running--;
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort);
        this.running--;
        const end = performance.now();
        this.completed.push([end, end - started]);
        resolve();
      }, ms);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Calls that ended in [from, to): how many, and the median and 99th percentile of their latency (ms). */
  window(from: number, to: number): { count: number; p50: number; p99: number } {
    const ms = this.completed
      .filter(([end]) => end >= from && end < to)
      .map(([, took]) => took)
      .sort((a, b) => a - b);
    const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN;
    return { count: ms.length, p50: at(0.5), p99: at(0.99) };
  }
}

/** exp(N(-σ²/2, σ²)): mean 1, so the noise does not move the mean latency. */
function lognormal(sigma: number): number {
  if (sigma === 0) return 1;
  const z = Math.sqrt(-2 * Math.log(Math.random() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * Math.random());
  return Math.exp(sigma * z - (sigma * sigma) / 2);
}
