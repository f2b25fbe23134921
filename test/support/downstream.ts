/**
 * A simulated downstream service for back-pressure tests: each call takes `baseMs`, and once
 * more than `capacity` calls run at once every call slows down in proportion (like a service
 * queueing work past its capacity). It can be switched to fail, fast, with a chosen error.
 */
export class SimulatedDownstream {
  capacity: number;
  baseMs: number;
  /** Extra latency per call over capacity, as a fraction of baseMs (1: each extra call adds baseMs). */
  slowdownPerExtra: number;
  #failing: (() => unknown) | undefined;
  #running = 0;
  maxRunning = 0;
  calls = 0;
  failures = 0;
  /** Latencies (ms) of the calls that completed, in completion order. */
  readonly latencies: number[] = [];

  constructor(options: { capacity: number; baseMs: number; slowdownPerExtra?: number }) {
    this.capacity = options.capacity;
    this.baseMs = options.baseMs;
    this.slowdownPerExtra = options.slowdownPerExtra ?? 1;
  }

  get running(): number {
    return this.#running;
  }

  /** Makes every call fail at once with what `error()` returns (a new error each time), until `recover()`. */
  fail(error: () => unknown = () => new Error('downstream unavailable')): void {
    this.#failing = error;
  }

  recover(): void {
    this.#failing = undefined;
  }

  /** One call: resolves after the current latency, or rejects if failing; aborts with `signal`. */
  async call(signal?: AbortSignal): Promise<void> {
    this.calls++;
    if (this.#failing !== undefined) {
      this.failures++;
      throw this.#failing();
    }
    this.#running++;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    const started = performance.now();
    const over = Math.max(0, this.#running - this.capacity);
    const ms = this.baseMs * (1 + over * this.slowdownPerExtra);
    try {
      await new Promise<void>((resolve, reject) => {
        // A timer counts from the event loop's cached time, which can be some way behind the clock
        // here (more so on a busy machine), so it can fire early: wait out what is left, and a call
        // never takes less than its latency.
        const wait = (left: number): NodeJS.Timeout =>
          setTimeout(() => {
            const rest = started + ms - performance.now();
            if (rest > 0) timer = wait(rest);
            else resolve();
          }, Math.ceil(left));
        let timer = wait(ms);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      });
      this.latencies.push(Math.round(performance.now() - started));
    } finally {
      this.#running--;
    }
  }

  /** The p-th percentile (0..100) of completed latencies. */
  percentile(p: number): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
  }
}
