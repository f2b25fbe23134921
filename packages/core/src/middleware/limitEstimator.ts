/** Why the adaptive limit moved: doubling at the start, one up to see if more fits, down on latency, down on failures. */
export type LimitChangeReason = 'slow-start' | 'probe' | 'latency' | 'failures';

export interface LimitChange {
  readonly limit: number;
  readonly previous: number;
  readonly reason: LimitChangeReason;
}

export interface LimitEstimatorOptions {
  readonly min: number;
  readonly max: number;
  /** Latency up to this many times the no-load latency counts as no queueing (>= 1). */
  readonly tolerance: number;
  /** A window with failures multiplies the limit by this (0.5 <= r < 1). */
  readonly backoffRatio: number;
}

/** Shortest window, so the limit (and the broker's prefetch window with it) moves at most ~10 times a second. */
export const WINDOW_MS = 100;
/** Fewest samples a window decides on: Netflix's WindowedLimit takes 10 as well. */
const MIN_SAMPLES = 10;
/** How long the no-load latency is remembered (BBR keeps its min RTT 10 s), in 4 buckets. */
const NO_LOAD_HORIZON_MS = 10_000;
const BUCKETS = 4;
/** Most windows to wait before probing the level where latency last rose (16 × 100 ms). */
const MAX_HOLD = 16;
/** Standard errors of the window's mean allowed on top of the tolerance, so noise is not taken for queueing. */
const NOISE_Z = 3;

/**
 * The adaptive concurrency limit's arithmetic, pure (time comes in with each sample), after
 * Netflix concurrency-limits (VegasLimit, Gradient2Limit, AIMDLimit, WindowedLimit) and BBR:
 *
 * - Samples are gathered in windows (at least 10 and at least `limit` handlers, and 100 ms);
 *   only handlers that started inside the window count, so a window never mixes two limits.
 * - Latency is compared in logs (ratios, and a window's mean that heavy-tailed latency does not
 *   drag) with the no-load latency: the lowest window mean of the last 10 s. Taken alone, a
 *   minimum of noisy means sits below the typical mean and would read noise as queueing (the
 *   reason Gradient2 gave up on minimums), so a window counts as queueing only past
 *   `tolerance` plus 3 standard errors of its own mean.
 * - No queueing: double while starting (slow start), then one up per window. Queueing: down to
 *   the most the downstream served at no-load latency, `limit × noLoad / rtt` (Vegas's
 *   `limit - queueSize`, exact for a downstream that queues past its capacity), in this window
 *   or the one before (a downstream whose latency doubles one call past capacity would
 *   otherwise be cut in half), never below half (Gradient2 caps its gradient at 0.5). Going
 *   back up to the level where latency last rose waits 1, 2, 4 … 16 windows, doubling each
 *   time it rises there again, so a hard capacity is probed rarely, not every other window.
 * - Failures (timeouts, errors: the caller decides) cut by `backoffRatio` (AIMD).
 * - While fewer than half the slots are in use, nothing grows (Gradient2: "app limited").
 */
export class LimitEstimator {
  #limit: number;
  #slowStart = true;
  /** Lowest window mean of log(latency) per bucket of the horizon, the newest last. */
  readonly #noLoad: number[] = Array(BUCKETS).fill(Number.POSITIVE_INFINITY);
  #bucketStart = Number.NEGATIVE_INFINITY;
  #recent: number | undefined;
  /** The level where latency last rose, and the windows to wait before trying it again. */
  #ceiling = Number.POSITIVE_INFINITY;
  #holdFor = 0;
  #hold = 0;
  /** `limit × noLoad / rtt` of the window before. */
  #bestBefore = 0;
  // The open window.
  #start: number;
  #count = 0;
  #ok = 0;
  #sumLog = 0;
  #sumLog2 = 0;
  #maxInFlight = 0;
  #failures = 0;

  constructor(
    readonly options: LimitEstimatorOptions,
    now: number,
  ) {
    this.#limit = options.min;
    this.#start = now;
  }

  get limit(): number {
    return this.#limit;
  }
  /** The no-load latency (ms) the limit is judged against; undefined before the first window. */
  get rttNoLoad(): number | undefined {
    const log = Math.min(...this.#noLoad);
    return Number.isFinite(log) ? Math.exp(log) : undefined;
  }
  /** The last window's latency (its mean in logs, ms). */
  get rttRecent(): number | undefined {
    return this.#recent === undefined ? undefined : Math.exp(this.#recent);
  }

  /**
   * One handler ended at `now` after `rttMs`; `inFlight` handlers ran when it started (itself
   * included); `failed` if it failed from load (a timeout, an error). Returns the change this
   * made to the limit, if it closed a window that moved it.
   */
  sample(rttMs: number, inFlight: number, failed: boolean, now: number): LimitChange | undefined {
    if (now - rttMs < this.#start) return undefined; // started under an earlier limit
    this.#count++;
    if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;
    if (failed) this.#failures++;
    else {
      const log = Math.log(Math.max(rttMs, 0.01));
      this.#ok++;
      this.#sumLog += log;
      this.#sumLog2 += log * log;
    }
    if (this.#count < Math.max(MIN_SAMPLES, this.#limit) || now - this.#start < WINDOW_MS) return undefined;
    const previous = this.#limit;
    const reason = this.#decide(now);
    this.#start = now;
    this.#count = this.#ok = this.#sumLog = this.#sumLog2 = this.#maxInFlight = this.#failures = 0;
    return reason === undefined || this.#limit === previous ? undefined : { limit: this.#limit, previous, reason };
  }

  #decide(now: number): LimitChangeReason | undefined {
    const limit = this.#limit;
    if (this.#failures > 0) {
      this.#slowStart = false;
      this.#set(Math.min(limit - 1, limit * this.options.backoffRatio));
      return 'failures';
    }
    const mean = this.#sumLog / this.#ok;
    const variance = this.#ok > 1 ? Math.max(0, (this.#sumLog2 - this.#ok * mean * mean) / (this.#ok - 1)) : 0;
    const standardError = Math.sqrt(variance / this.#ok);
    this.#recent = mean;
    this.#noteNoLoad(mean, now);
    if (this.#maxInFlight * 2 < limit) return undefined;
    const excess = mean - Math.min(...this.#noLoad); // log(rtt / rttNoLoad)
    const best = limit / Math.exp(excess);
    const bestBefore = this.#bestBefore;
    this.#bestBefore = best;
    if (excess <= Math.log(this.options.tolerance) + NOISE_Z * standardError) {
      if (limit >= this.#ceiling) {
        // It held where latency rose before: the downstream has grown.
        this.#ceiling = Number.POSITIVE_INFINITY;
        this.#holdFor = 0;
      }
      if (limit + 1 >= this.#ceiling && this.#hold > 0) {
        this.#hold--;
        return undefined;
      }
      this.#set(this.#slowStart ? limit * 2 : limit + 1);
      return this.#slowStart ? 'slow-start' : 'probe';
    }
    this.#slowStart = false;
    if (limit >= this.#ceiling) this.#holdFor = Math.min(MAX_HOLD, Math.max(1, this.#holdFor * 2));
    this.#ceiling = limit;
    this.#hold = this.#holdFor;
    this.#set(Math.min(limit - 1, Math.max(limit / 2, best, bestBefore)));
    return 'latency';
  }

  #set(value: number): void {
    this.#limit = Math.max(this.options.min, Math.min(this.options.max, Math.floor(value)));
  }

  /** A windowed minimum: buckets older than the horizon drop out, so a downstream that got slower for good is learnt within 10 s. */
  #noteNoLoad(mean: number, now: number): void {
    const span = NO_LOAD_HORIZON_MS / BUCKETS;
    if (now - this.#bucketStart >= NO_LOAD_HORIZON_MS) {
      this.#noLoad.fill(Number.POSITIVE_INFINITY);
      this.#bucketStart = now;
    }
    while (now - this.#bucketStart >= span) {
      this.#noLoad.shift();
      this.#noLoad.push(Number.POSITIVE_INFINITY);
      this.#bucketStart += span;
    }
    if (mean < (this.#noLoad[BUCKETS - 1] as number)) this.#noLoad[BUCKETS - 1] = mean;
  }
}
