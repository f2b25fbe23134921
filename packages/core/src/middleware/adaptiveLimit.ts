import { DeadlineExceededError, Reject } from '../errors/handlerErrors.js';
import { ConcurrencyLimit } from './concurrencyLimit.js';
import { type LimitChange, LimitEstimator, type LimitEstimatorOptions } from './limitEstimator.js';
import type { ConsumeContext, ConsumerHost, Middleware, Next, PolicyFactory } from './Middleware.js';

/** `@Consumer({ concurrency: { adaptive } })`: a limit that follows the handler's latency. */
export interface AdaptiveLimitOptions {
  /** The limit never goes below this; it starts here. */
  min: number;
  /** ...nor above this (at most `prefetch`). */
  max: number;
  /** Latency up to this many times the no-load latency counts as no queueing. Default 1.25. */
  tolerance?: number;
  /** A window with timeouts or failures multiplies the limit by this (0.5 to 0.99). Default 0.9. */
  backoffRatio?: number;
}

/** What the consumer needs of its limit policy, static or adaptive. */
export interface LimitPolicy extends Middleware {
  /** Most handlers seen running at once. */
  readonly maxSeen: number;
}

const KEYS = ['min', 'max', 'tolerance', 'backoffRatio'];

/**
 * The prefetch window for a limit: the limit plus a quarter (at least 1), so the next delivery
 * is already here when a handler ends (no broker round trip between two handlers) while at most
 * a quarter more waits in the process; never above the configured prefetch.
 */
export function prefetchFor(limit: number, prefetch: number): number {
  return Math.min(prefetch, limit + Math.max(1, Math.ceil(limit / 4)));
}

/** Checks `concurrency: { adaptive }` against the consumer's prefetch and returns the consumer's limit policy. */
export function adaptiveLimitPolicy(value: unknown, prefetch: number, fail: (problem: string) => never): PolicyFactory {
  const shape = 'must be a number or { adaptive: { min, max, tolerance?, backoffRatio? } }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(shape);
  for (const key of Object.keys(value)) if (key !== 'adaptive') fail(`has an unknown key "${key}": it ${shape}`);
  const adaptive = (value as { adaptive?: unknown }).adaptive;
  if (typeof adaptive !== 'object' || adaptive === null || Array.isArray(adaptive)) return fail(`has no adaptive settings: it ${shape}`);
  const given = adaptive as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KEYS.includes(key)) fail(`has concurrency.adaptive.${key}, which is not a setting (known: ${KEYS.join(', ')})`);
  }
  const bad = (key: string, rule: string): never =>
    fail(`has concurrency.adaptive.${key} = ${JSON.stringify(given[key])}: it must be ${rule}`);
  const whole = (key: string, from: number, to: number, why: string): number => {
    const v = given[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < from || v > to) bad(key, `a whole number from ${from} to ${to}${why}`);
    return v as number;
  };
  const ratio = (key: string, fallback: number, from: number, to: number): number => {
    const v = given[key] ?? fallback;
    if (typeof v !== 'number' || !(v >= from && v <= to)) bad(key, `a number from ${from} to ${to}`);
    return v as number;
  };
  // The broker's window follows the limit but never beyond prefetch: a limit past it could never fill.
  const min = whole('min', 1, prefetch, ` (prefetch is ${prefetch})`);
  const max = whole('max', min, prefetch, ` (min is ${min}, prefetch ${prefetch}: raise prefetch for a higher max)`);
  const options: LimitEstimatorOptions = {
    min,
    max,
    tolerance: ratio('tolerance', 1.25, 1, 10),
    backoffRatio: ratio('backoffRatio', 0.9, 0.5, 0.99),
  };
  return (host: ConsumerHost): Middleware => new AdaptiveConcurrencyLimit(options, host);
}

/**
 * The adaptive concurrency limit (innermost, in place of the static one): at most `limit`
 * handlers run; the rest wait here, inside the prefetch window. The limit follows the handlers'
 * latency and failures (LimitEstimator), and the broker's prefetch window follows the limit
 * (`prefetchFor`), so what the handlers cannot take stays in the queue, for other workers.
 * Per message: two clock reads and one async frame around the handler; the window moves at most
 * once per 100 ms (one basic.qos, or a re-subscribe: ConsumerChannel).
 */
export class AdaptiveConcurrencyLimit implements LimitPolicy {
  readonly name = 'adaptiveConcurrency';
  readonly #gate: ConcurrencyLimit;
  readonly #estimator: LimitEstimator;
  readonly #host: ConsumerHost;
  /** The pipeline's next step and the timed call of it, made once (compose passes the same `next` every time). */
  #next: Next | undefined;
  #timedNext: Next | undefined;
  #moving = false;
  /** The window this limit last asked the broker for. */
  #asked = -1;
  #changes = 0;

  constructor(options: LimitEstimatorOptions, host: ConsumerHost) {
    this.#host = host;
    this.#estimator = new LimitEstimator(options, performance.now());
    this.#gate = new ConcurrencyLimit(options.min);
    this.#moveWindow();
  }

  get limit(): number {
    return this.#estimator.limit;
  }
  get maxSeen(): number {
    return this.#gate.maxSeen;
  }

  run(ctx: ConsumeContext, next: Next): Promise<void> {
    if (next !== this.#next) {
      this.#next = next;
      this.#timedNext = (c) => this.#timed(c, next);
    }
    return this.#gate.run(ctx, this.#timedNext as Next);
  }

  async #timed(ctx: ConsumeContext, next: Next): Promise<void> {
    const started = performance.now();
    const inFlight = this.#gate.active;
    let failed: boolean | undefined;
    try {
      await next(ctx);
      // A result after the deadline is a timeout all the same.
      failed = ctx.aborted && isDeadline(ctx.abortReason);
    } catch (error) {
      failed = saysOverloaded(ctx, error);
      throw error;
    } finally {
      if (failed !== undefined) {
        const now = performance.now();
        const change = this.#estimator.sample(now - started, inFlight, failed, now);
        if (change !== undefined) this.#changed(change);
      }
    }
  }

  #changed(change: LimitChange): void {
    this.#changes++;
    this.#gate.limit = change.limit;
    const host = this.#host;
    host.log.info({ limit: change.limit, previous: change.previous, reason: change.reason }, 'adaptive concurrency limit moved');
    host.events.emit('limitChanged', host.consumer, change.limit, change.previous, change.reason);
    this.#moveWindow();
  }

  /** Brings the broker's window to the limit's, one change at a time (the latest wins), never after stop began. */
  #moveWindow(): void {
    if (this.#moving) return;
    this.#moving = true;
    void (async () => {
      const host = this.#host;
      try {
        // Its own cap on the window: another policy (a breaker's probes) may hold it lower meanwhile.
        for (let want = this.#window(); !host.stopSignal.aborted && want !== this.#asked; want = this.#window()) {
          this.#asked = want;
          await host.setPrefetch(want, 'adaptive');
        }
      } catch (error) {
        host.log.warn({ err: (error as Error)?.message }, 'adaptive concurrency: cannot move the prefetch window');
      } finally {
        this.#moving = false;
      }
    })();
  }

  #window(): number {
    return prefetchFor(this.#estimator.limit, this.#host.prefetch);
  }

  describe(): Record<string, unknown> {
    const o = this.#estimator.options;
    const ms = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10);
    return {
      limit: this.#estimator.limit,
      min: o.min,
      max: o.max,
      inFlight: this.#gate.active,
      waiting: this.#gate.waiting,
      maxSeen: this.#gate.maxSeen,
      rttNoLoad: ms(this.#estimator.rttNoLoad),
      rttRecent: ms(this.#estimator.rttRecent),
      prefetch: this.#host.prefetchNow(),
      changes: this.#changes,
    };
  }
}

function isDeadline(reason: unknown): boolean {
  try {
    return reason instanceof DeadlineExceededError;
  } catch {
    return false;
  }
}

/**
 * Whether a failed handler says the downstream is overloaded (true), or nothing about load
 * (undefined: no sample). Stopped from outside (shutdown, a lost channel, a breaker or a caller's
 * cancel): nothing. `Reject`: the message's own fault. A timeout or any other error: overloaded.
 */
function saysOverloaded(ctx: ConsumeContext, error: unknown): true | undefined {
  try {
    if (ctx.aborted && !(ctx.abortReason instanceof DeadlineExceededError)) return undefined;
    return error instanceof Reject ? undefined : true;
  } catch {
    return true; // a thrown value whose prototype cannot be read: a failure like any other
  }
}
