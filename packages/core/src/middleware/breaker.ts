import { BreakerOpenError, DeadlineExceededError, DependencyDown } from '../errors/handlerErrors.js';
import { ClosedError, ConfigError } from '../errors/WarrenError.js';
import { BreakerLink, tellTransition } from './BreakerLink.js';
import {
  BreakerMachine,
  type BreakerSettings,
  type BreakerState,
  type BreakerTransition,
  type CallResult,
  REFUSED,
} from './BreakerMachine.js';
import { type BreakerOptions, breakerOptionsProblem, breakerSettings, defaultIsFailure } from './breakerOptions.js';
import { HeldFailures } from './HeldFailures.js';
import type { ConsumeContext, ConsumerHost, Middleware, Next, PolicyFactory } from './Middleware.js';
import { type PolicyClock, SYSTEM_CLOCK } from './PolicyClock.js';
import { ProbeWaiters } from './ProbeWaiters.js';
import { watchAbort } from './watchAbort.js';

export type { BreakerOptions, BreakerState };
export { breakerOptionsProblem };

/** The least a half-open probe may run before it counts as failed (it is max(openMs, this)). */
const PROBE_MIN_MS = 10_000;

/**
 * A circuit breaker on a dependency, which stops consumption instead of failing messages. It can
 * be shared by several consumers that call the same dependency (`breaker: sharedBreaker` on
 * each); each consumer gets its policy from `attach`.
 *
 * A call is the rest of the pipeline for a delivery that passed the breaker. Open: every attached
 * consumer pauses (the broker consumer is cancelled, the queue keeps its messages for healthy
 * workers), running handlers finish, and deliveries that have not reached their handler go back
 * to the queue uncounted (BreakerOpenError). After openMs it half-opens: consumers resume with a
 * prefetch of halfOpenProbes, the probes run, others wait for their verdict. Nothing is retried or
 * dead-lettered because of the outage: failures blamed on it (probes, calls running when it
 * opened, and failures that were waiting for the window to judge) go back uncounted too.
 */
export class CircuitBreaker {
  readonly name: string;
  readonly #settings: BreakerSettings;
  readonly #machine: BreakerMachine;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #links = new Set<BreakerLink>();
  readonly #held: HeldFailures;
  readonly #waiting: ProbeWaiters;
  readonly #clock: PolicyClock;
  #openTimer: unknown;
  #openTimerAt = 0;
  #transitions = 0;

  constructor(
    readonly options: BreakerOptions,
    clock: PolicyClock = SYSTEM_CLOCK,
  ) {
    const problem = breakerOptionsProblem(options);
    if (problem !== undefined) throw new ConfigError(`CircuitBreaker: ${problem}`);
    this.name = options.name ?? 'breaker';
    this.#settings = breakerSettings(options);
    this.#clock = clock;
    this.#machine = new BreakerMachine(this.#settings, () => clock.now());
    this.#isFailure = options.isFailure ?? defaultIsFailure;
    this.#held = new HeldFailures({
      clock,
      windowMs: this.#settings.windowMs,
      undecided: () => this.#machine.undecided(),
      blame: (error) => this.#blame(error),
    });
    this.#waiting = new ProbeWaiters((link, ctx, next) => this.#run(link, ctx, next));
  }

  get state(): BreakerState {
    return this.#machine.state;
  }

  /** The consumers attached now. */
  get consumers(): string[] {
    return [...this.#links].map((l) => l.host.consumer);
  }

  /** The policy for one consumer: when this breaker opens, that consumer's intake stops. */
  attach(host: ConsumerHost): Middleware {
    const link = new BreakerLink(host, `breaker:${this.name}`);
    this.#links.add(link);
    host.stopSignal.addEventListener('abort', () => this.#detach(link), { once: true });
    // A shared breaker may be open already: this consumer starts paused.
    if (this.#machine.state === 'open') link.pause();
    return {
      name: 'breaker',
      run: (ctx, next) => this.#run(link, ctx, next),
      describe: () => ({ ...this.describe(), putBack: link.putBack }),
    };
  }

  /** The breaker's limits and live state, for /health. */
  describe(): Record<string, unknown> {
    this.#poll();
    const s = this.#machine.snapshot();
    return {
      breaker: this.name,
      state: s.state,
      failureRate: s.failureRate,
      calls: s.calls,
      failures: s.failures,
      mark: { failureRate: this.#settings.failureRate, minCalls: this.#settings.minCalls, windowMs: this.#settings.windowMs },
      openMs: s.openMs,
      remainingMs: s.remainingMs,
      openUntil: s.remainingMs === null ? null : new Date(Date.now() + s.remainingMs).toISOString(),
      probes: s.probes,
      held: this.#held.size,
      waiting: this.#waiting.size,
      transitions: this.#transitions,
      consumers: this.consumers,
    };
  }

  #run(link: BreakerLink, ctx: ConsumeContext, next: Next): Promise<void> {
    this.#poll();
    const ticket = this.#machine.acquire();
    if (ticket >= 0) return this.#call(link, ctx, next, ticket);
    if (ticket === REFUSED) {
      link.putBack++;
      return Promise.reject(new BreakerOpenError(`circuit breaker ${this.name} is open`));
    }
    return this.#waiting.wait(link, ctx, next);
  }

  /** The per-message cost while closed: this async frame, a push and a swap-remove, and a clock read in record(). */
  async #call(link: BreakerLink, ctx: ConsumeContext, next: Next, ticket: number): Promise<void> {
    link.admitted.push(ctx);
    // A probe must end, or half-open would never end: see #guardProbe. Only probes pay for it.
    const probe = this.#machine.state === 'half-open' ? this.#guardProbe(ctx, ticket) : undefined;
    try {
      await next(ctx);
    } catch (error) {
      link.ended(ctx);
      if (probe?.end()) return Promise.reject(error);
      return this.#failed(link, ctx, ticket, error);
    }
    link.ended(ctx);
    if (probe?.end()) return;
    this.#recorded(this.#machine.record(ticket, 'success'), 'success');
  }

  /**
   * A probe's permit comes back only when its call ends; one that hangs (no timeoutMs, deaf to
   * its signal) would hold half-open for good, and with it every consumer on this breaker. So a
   * probe is judged when its signal aborts (a deadline: failed; shutdown, a lost channel:
   * neutral) or after max(openMs, 10 s) (failed, and its signal aborts); what it does after that
   * is not counted. `end()` says whether it was judged already.
   */
  #guardProbe(ctx: ConsumeContext, ticket: number): { end(): boolean } {
    let judged = false;
    const judge = (result: CallResult): void => {
      if (judged) return;
      judged = true;
      this.#recorded(this.#machine.record(ticket, result), result);
    };
    const onAbort = (): void => judge(this.#judge(ctx, ctx.abortReason));
    const limitMs = Math.max(this.#settings.openMs, PROBE_MIN_MS);
    const timer = this.#clock.setTimeout(() => {
      judge('failure');
      ctx.abort(new DeadlineExceededError(`a half-open probe of breaker ${this.name} ran longer than ${limitMs} ms`));
    }, limitMs);
    const unwatch = watchAbort(ctx, onAbort);
    return {
      end: () => {
        this.#clock.clearTimeout(timer);
        unwatch();
        return judged;
      },
    };
  }

  #failed(link: BreakerLink, ctx: ConsumeContext, ticket: number, error: unknown): Promise<void> {
    if (error instanceof DependencyDown) {
      // The downstream said so (a 503, a 429 with Retry-After): believe it. Outcome: put back uncounted.
      error.breakerOpened = true;
      const t = this.#machine.trip(error.retryAfterMs, 'the handler threw DependencyDown');
      if (t === undefined) this.#armOpenTimer();
      else this.#announce(t);
      link.putBack++;
      return Promise.reject(error);
    }
    const result = this.#judge(ctx, error);
    this.#recorded(this.#machine.record(ticket, result), result);
    // Aborted (shutdown, channel lost, a deadline): whoever aborted it has decided its fate.
    if (result !== 'failure' || ctx.aborted) return Promise.reject(error);
    if (this.#machine.state !== 'closed') {
      // It opened the breaker, was running when it opened, or was a probe: the outage's fault.
      link.putBack++;
      return Promise.reject(this.#blame(error));
    }
    // Held failures keep their slots: leave the consumer one free, so calls go on and the window can judge.
    if (this.#machine.undecided() && link.held < link.host.prefetchNow() - 1) return this.#held.hold(link, ctx, error);
    return Promise.reject(error);
  }

  /** What the end of a call says about the dependency. */
  #judge(ctx: ConsumeContext, error: unknown): CallResult {
    // It never reached the handler (it waited in a policy and was aborted): the dependency was not called.
    if (!ctx.started) return 'neutral';
    let judged = error;
    if (ctx.aborted) {
      const reason = ctx.abortReason;
      // Shutdown, a lost channel, or this breaker putting it back: says nothing about the dependency.
      if (reason instanceof ClosedError || reason instanceof BreakerOpenError) return 'neutral';
      // A deadline (or a policy's abort) ended it: that is what failed, whatever the handler threw after.
      judged = reason;
    }
    try {
      return this.#isFailure(judged) ? 'failure' : 'success';
    } catch {
      return 'failure';
    }
  }

  #recorded(transition: BreakerTransition | undefined, result: CallResult): void {
    if (transition !== undefined) this.#announce(transition);
    else if (result === 'neutral' && this.#machine.state === 'half-open') this.#waiting.wakeOne();
    else if (this.#held.size > 0 && !this.#machine.undecided()) this.#held.releaseAll(false);
  }

  #blame(error: unknown): DependencyDown {
    const blamed = new DependencyDown({
      message: `circuit breaker ${this.name}: the call failed while the dependency was judged down; put back uncounted`,
      cause: error,
    });
    blamed.breakerOpened = true;
    return blamed;
  }

  #poll(): void {
    const t = this.#machine.poll();
    if (t !== undefined) this.#announce(t);
  }

  #armOpenTimer(): void {
    if (this.#machine.state !== 'open') return;
    const at = this.#machine.openUntil;
    if (this.#openTimer !== undefined) {
      if (this.#openTimerAt === at) return;
      this.#clock.clearTimeout(this.#openTimer);
    }
    this.#openTimerAt = at;
    this.#openTimer = this.#clock.setTimeout(
      () => {
        this.#openTimer = undefined;
        this.#poll();
        // Fired a little early, or the open time was extended meanwhile.
        this.#armOpenTimer();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  /** Acts on a transition: every consumer's intake, the deliveries waiting here, one event and one log line. */
  #announce(t: BreakerTransition): void {
    this.#transitions++;
    const links = [...this.#links];
    if (t.to === 'open') {
      this.#armOpenTimer();
      const refusal = new BreakerOpenError(`circuit breaker ${this.name} opened`);
      this.#held.releaseAll(true);
      this.#waiting.refuseAll(refusal);
      for (const link of links) link.opened(refusal);
    } else if (t.to === 'half-open') {
      for (const link of links) link.halfOpened(t.probes);
    } else {
      for (const link of links) link.closed();
      this.#waiting.goAll();
    }
    tellTransition(this.name, t, links);
  }

  /** A consumer stops: its waiting deliveries go back, its held failures to their own fate. */
  #detach(link: BreakerLink): void {
    this.#links.delete(link);
    this.#waiting.leave(link);
    this.#held.releaseLink(link);
  }
}

/** Checks the `breaker` option (options or a shared CircuitBreaker) and returns the consumer's policy. */
export function breakerPolicy(value: unknown, fail: (problem: string) => never): PolicyFactory {
  if (value instanceof CircuitBreaker) return (host) => value.attach(host);
  const problem = breakerOptionsProblem(value);
  if (problem !== undefined) fail(problem.startsWith('breaker.') ? `is invalid: ${problem}` : problem);
  const options = value as BreakerOptions;
  // A breaker of its own per consumer, named after it unless told otherwise.
  return (host) => new CircuitBreaker({ ...options, name: options.name ?? host.consumer }).attach(host);
}
