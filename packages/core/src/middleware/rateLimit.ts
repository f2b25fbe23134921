import { ConfigError } from '../errors/WarrenError.js';
import type { ConsumeContext, ConsumerHost, Middleware, Next, PolicyFactory } from './Middleware.js';
import { type PolicyClock, SYSTEM_CLOCK } from './PolicyClock.js';
import { TokenBucket } from './TokenBucket.js';
import { UNWATCHED, watchAbort } from './watchAbort.js';

/** `@Consumer({ rateLimit })`: a token bucket applied before the handler. */
export interface RateLimitOptions {
  /** Tokens added per second (fractions allowed: 0.5 is one every 2 s). */
  perSecond: number;
  /** Most tokens the bucket holds (the burst allowed after a quiet spell). Default 1. */
  burst?: number;
  /**
   * `'consumer'` (default): `perSecond` for this bucket. `'queue'`: `perSecond` for all the workers
   * of the queue together: each takes its share, perSecond × its consumers / the queue's consumer
   * count, read from the broker (a passive declare) at most every `refreshMs`.
   */
  across?: 'consumer' | 'queue';
  /** With `across: 'queue'`: how often the queue's consumer count is read, at most. Default 5000. */
  refreshMs?: number;
  /** A name for /health. Default 'rateLimit'. */
  name?: string;
}

const KNOWN_OPTIONS = ['perSecond', 'burst', 'across', 'refreshMs', 'name'];
const MAX_RATE = 1_000_000;
const DEFAULT_REFRESH_MS = 5000;

/** A delivery waiting for a token. */
interface Waiter {
  readonly ctx: ConsumeContext;
  readonly since: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  unwatch: () => void;
}

/**
 * A token bucket that can be shared by several consumers that call the same API
 * (`rateLimit: limiter` on each). A delivery that finds a token goes on at once, with no promise
 * of its own; one that does not waits here, in arrival order, unacked: it holds its prefetch
 * slot, so the broker's window is what holds the backlog and a limited consumer never has more
 * than `prefetch` messages (the waiters are bounded by the sum of its consumers' prefetch). One
 * timer serves the whole line, armed only while someone waits. A waiter whose delivery is aborted
 * (its deadline, shutdown, a lost channel) leaves at once with the abort's reason, and never
 * spends a token.
 */
export class RateLimiter {
  readonly options: RateLimitOptions;
  readonly name: string;
  readonly burst: number;
  readonly across: 'consumer' | 'queue';
  readonly #clock: PolicyClock;
  readonly #bucket: TokenBucket;
  readonly #waiting: Waiter[] = [];
  #hosts: ConsumerHost[] = [];
  #timer: unknown;
  #taken = 0;
  #limited = 0;
  #waitedMs = 0;
  #maxWaitedMs = 0;
  /** Of waitedMs, each consumer's share (a shared limiter's metrics are per consumer). */
  readonly #waitedMsBy = new Map<string, number>();
  /** When the queue's consumer count is next read (Infinity unless `across: 'queue'`). */
  #refreshAt: number;
  #queueConsumers: number | undefined;

  constructor(options: RateLimitOptions, clock: PolicyClock = SYSTEM_CLOCK) {
    const problem = rateLimitProblem(options);
    if (problem !== undefined) throw new ConfigError(`RateLimiter ${problem}`);
    this.options = { ...options };
    this.name = options.name ?? 'rateLimit';
    this.burst = options.burst ?? 1;
    this.across = options.across ?? 'consumer';
    this.#clock = clock;
    this.#bucket = new TokenBucket(this.burst, options.perSecond, clock.now());
    this.#refreshAt = this.across === 'queue' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  /** The rate this process applies now: `perSecond`, or its share of it with `across: 'queue'`. */
  get perSecondNow(): number {
    return this.#bucket.perSecond;
  }

  /** The policy for one consumer; every consumer attached draws from this one bucket. */
  attach(host: ConsumerHost): Middleware {
    // Consumers that have stopped (an app made again, in tests or a restart in process) leave.
    this.#hosts = this.#hosts.filter((h) => !h.stopSignal.aborted);
    const first = this.#hosts[0];
    if (this.across === 'queue' && first !== undefined && first.queue !== host.queue) {
      throw new ConfigError(
        `RateLimiter "${this.name}" with across: 'queue' limits one queue's workers; it is on "${first.queue}" already, not "${host.queue}"`,
      );
    }
    this.#hosts.push(host);
    return { name: this.name, run: this.run, describe: () => this.describe() };
  }

  /** The policy's `run`, the same for every consumer attached. */
  readonly run = (ctx: ConsumeContext, next: Next): Promise<void> => {
    const now = this.#clock.now();
    if (now >= this.#refreshAt) this.#refreshShare(now);
    // The common case: a token, and nobody ahead in the line.
    if (this.#waiting.length === 0 && this.#bucket.tryTake(now)) {
      this.#taken++;
      return next(ctx);
    }
    return this.#wait(ctx, now).then(() => next(ctx));
  };

  describe(): Record<string, unknown> {
    const now = this.#clock.now();
    const out: Record<string, unknown> = {
      perSecond: this.options.perSecond,
      burst: this.burst,
      tokens: round(this.#bucket.tokens(now)),
      waiting: this.#waiting.length,
      taken: this.#taken,
      limited: this.#limited,
      waitedMs: Math.round(this.#waitedMs),
      maxWaitedMs: Math.round(this.#maxWaitedMs),
    };
    if (this.#hosts.length > 1) {
      out.consumers = this.#hosts.map((h) => h.consumer);
      out.waitedMsByConsumer = Object.fromEntries([...this.#waitedMsBy].map(([c, ms]) => [c, Math.round(ms)]));
    }
    if (this.across === 'queue') {
      out.across = 'queue';
      out.queueConsumers = this.#queueConsumers ?? null;
      out.perSecondNow = round(this.#bucket.perSecond);
    }
    return out;
  }

  #wait(ctx: ConsumeContext, now: number): Promise<void> {
    if (ctx.aborted) return Promise.reject(ctx.abortReason);
    this.#limited++;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ctx, since: now, resolve, reject, unwatch: UNWATCHED };
      waiter.unwatch = watchAbort(ctx, () => this.#leave(waiter));
      this.#waiting.push(waiter);
      this.#arm(now);
    });
  }

  /** The one timer: due when the next token is whole. */
  #arm(now: number): void {
    if (this.#timer !== undefined) return;
    // A timer may fire a little early for the bucket's clock; the tick then waits another round.
    this.#timer = this.#clock.setTimeout(this.#tick, Math.max(1, Math.ceil(this.#bucket.msUntilToken(now))));
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (let n = this.#bucket.takeForLine(now, this.#waiting.length); n > 0; n--) {
      const waiter = this.#waiting.shift() as Waiter;
      waiter.unwatch();
      const waited = now - waiter.since;
      this.#waitedMs += waited;
      const consumer = waiter.ctx.consumer;
      this.#waitedMsBy.set(consumer, (this.#waitedMsBy.get(consumer) ?? 0) + waited);
      if (waited > this.#maxWaitedMs) this.#maxWaitedMs = waited;
      this.#taken++;
      waiter.resolve();
    }
    if (this.#waiting.length > 0) this.#arm(now);
  };

  /** An aborted delivery leaves the line. */
  #leave(waiter: Waiter): void {
    const i = this.#waiting.indexOf(waiter);
    if (i < 0) return;
    this.#waiting.splice(i, 1);
    if (this.#waiting.length === 0) this.#disarm();
    waiter.reject(waiter.ctx.abortReason);
  }

  /**
   * `across: 'queue'`: reads the queue's consumer count, at most every refreshMs, and only while
   * deliveries come (an idle worker asks nothing); this process takes perSecond × its consumers
   * on the queue / all of them. Until the first answer it takes the whole rate.
   */
  #refreshShare(now: number): void {
    this.#refreshAt = now + (this.options.refreshMs ?? DEFAULT_REFRESH_MS);
    const live = this.#hosts.filter((h) => !h.stopSignal.aborted);
    const host = live[0];
    if (host === undefined) return;
    host.queueStats().then(
      (stats) => {
        if (stats === undefined) return;
        this.#queueConsumers = stats.consumers;
        const share = (this.options.perSecond * live.length) / Math.max(stats.consumers, live.length);
        if (share === this.#bucket.perSecond) return;
        const at = this.#clock.now();
        this.#bucket.setRate(share, at);
        // The next token is due at another time now.
        if (this.#timer !== undefined) {
          this.#disarm();
          this.#arm(at);
        }
      },
      () => undefined, // keep the share we had; the next refresh asks again
    );
  }
}

/** Checks the `rateLimit` option (options or a shared RateLimiter) and returns the consumer's policy. */
export function rateLimitPolicy(value: unknown, fail: (problem: string) => never): PolicyFactory {
  if (value instanceof RateLimiter) {
    const rateLimit = (host: ConsumerHost): Middleware => value.attach(host);
    return rateLimit;
  }
  const problem = rateLimitProblem(value);
  if (problem !== undefined) fail(problem);
  const options = { ...(value as RateLimitOptions) };
  // A bucket of its own per consumer.
  const rateLimit = (host: ConsumerHost): Middleware => new RateLimiter(options).attach(host);
  return rateLimit;
}

/** What is wrong with rate limit options, phrased to follow `option "rateLimit"` or `RateLimiter`; undefined if nothing. */
function rateLimitProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `must be { perSecond, burst? } or a RateLimiter made once and shared, got ${show(value)}`;
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN_OPTIONS.includes(key)) return `has an unknown key "${key}" (known: ${KNOWN_OPTIONS.join(', ')})`;
  }
  const o = value as Record<string, unknown>;
  const perSecond = o.perSecond;
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0 || perSecond > MAX_RATE) {
    return `needs perSecond: tokens per second, above 0 and at most ${MAX_RATE}, got ${show(perSecond)}`;
  }
  if (o.burst !== undefined && !(Number.isInteger(o.burst) && (o.burst as number) >= 1 && (o.burst as number) <= MAX_RATE)) {
    return `needs burst: a whole number of tokens from 1 to ${MAX_RATE}, got ${show(o.burst)}`;
  }
  if (o.across !== undefined && o.across !== 'consumer' && o.across !== 'queue') {
    return `needs across: 'consumer' or 'queue', got ${show(o.across)}`;
  }
  if (o.refreshMs !== undefined) {
    if (o.across !== 'queue') return "has refreshMs, which only applies with across: 'queue'";
    if (!(Number.isInteger(o.refreshMs) && (o.refreshMs as number) >= 100 && (o.refreshMs as number) <= 3_600_000)) {
      return `needs refreshMs: a whole number of ms from 100 to 3600000, got ${show(o.refreshMs)}`;
    }
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) return `needs name: a non-empty string, got ${show(o.name)}`;
  return undefined;
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
