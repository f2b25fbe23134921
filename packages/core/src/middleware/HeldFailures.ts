import type { DependencyDown } from '../errors/handlerErrors.js';
import type { BreakerLink } from './BreakerLink.js';
import type { ConsumeContext } from './Middleware.js';
import type { PolicyClock } from './PolicyClock.js';
import { UNWATCHED, watchAbort } from './watchAbort.js';

/** A failed call whose fate waits for the breaker's verdict; it keeps its prefetch slot meanwhile. */
interface Held {
  readonly link: BreakerLink;
  readonly ctx: ConsumeContext;
  readonly error: unknown;
  /** When it leaves the window without a verdict: it then fails as it would have without a breaker. */
  readonly until: number;
  readonly reject: (error: unknown) => void;
  unwatch: () => void;
}

/** What the held failures ask of their breaker. */
export interface HeldFailuresDeps {
  readonly clock: PolicyClock;
  readonly windowMs: number;
  /** The window holds too few calls to judge, at the failure mark. */
  readonly undecided: () => boolean;
  /** The error a failure blamed on the outage goes back with (put back uncounted). */
  readonly blame: (error: unknown) => DependencyDown;
}

/**
 * A circuit breaker's failures waiting for a verdict. Too few calls to judge, at the failure
 * mark: this may be the start of an outage, so the failure waits (holding its prefetch slot)
 * until the breaker opens (put back uncounted), the window judges the dependency healthy, or it
 * leaves the window (at most windowMs): then it fails as it would have without a breaker. One
 * timer for all of them. Apart from CircuitBreaker: only failures come here, never a call that
 * went through.
 */
export class HeldFailures {
  readonly #d: HeldFailuresDeps;
  readonly #held: Held[] = [];
  #timer: unknown;
  #timerAt = 0;

  constructor(deps: HeldFailuresDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#held.length;
  }

  /** Holds `error`, the failure of `ctx`: the promise rejects when it is released, or when `ctx` aborts. */
  hold(link: BreakerLink, ctx: ConsumeContext, error: unknown): Promise<void> {
    return new Promise<void>((_, reject) => {
      const held: Held = {
        link,
        ctx,
        error,
        until: this.#d.clock.now() + this.#d.windowMs,
        reject,
        unwatch: UNWATCHED,
      };
      held.unwatch = watchAbort(ctx, () => {
        this.#remove(held);
        link.held--;
        reject(ctx.abortReason);
      });
      this.#held.push(held);
      link.held++;
      this.#arm();
    });
  }

  /** Lets every held failure go: `blamed` (the breaker opened), back to the queue uncounted; otherwise to its own fate. */
  releaseAll(blamed: boolean): void {
    this.#release(blamed, () => true);
  }

  /** A consumer stops: its held failures go to their own fate. */
  releaseLink(link: BreakerLink): void {
    this.#release(false, (h) => h.link === link);
  }

  #release(blamed: boolean, which: (h: Held) => boolean): void {
    for (const held of this.#held.filter(which)) {
      this.#remove(held);
      held.link.held--;
      held.unwatch();
      if (blamed) held.link.putBack++;
      held.reject(blamed ? this.#d.blame(held.error) : held.error);
    }
  }

  #arm(): void {
    const first = this.#held[0];
    const clock = this.#d.clock;
    if (first === undefined || (this.#timer !== undefined && this.#timerAt === first.until)) return;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timerAt = first.until;
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined;
        const now = clock.now();
        this.#release(false, (h) => h.until <= now || !this.#d.undecided());
        this.#arm();
      },
      Math.max(0, first.until - clock.now()),
    );
  }

  #remove(held: Held): void {
    const i = this.#held.indexOf(held);
    if (i >= 0) this.#held.splice(i, 1);
  }
}
