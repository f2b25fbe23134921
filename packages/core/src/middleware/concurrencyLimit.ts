import type { ConsumeContext, Middleware, Next } from './Middleware.js';
import { watchAbort } from './watchAbort.js';

/**
 * Warren's concurrency policy: at most `limit` handlers run at once; deliveries beyond it wait here, in arrival order. The
 * wait is bounded by prefetch (the broker sends no more than that), so this never buffers
 * without bound. A handler that outlives its deadline keeps its slot until it really ends, so
 * handlers that ignore `ctx.signal` slow intake instead of piling up. A waiter whose delivery is
 * aborted (its deadline, shutdown) leaves the line at once: it was settled, and must neither
 * hold memory nor take a slot later.
 */
export class ConcurrencyLimit implements Middleware {
  readonly name = 'concurrency';
  #limit: number;
  #active = 0;
  #maxSeen = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }
  /** Moves the limit (the adaptive limit does): raised, waiters start at once; lowered, it holds as handlers end. */
  set limit(n: number) {
    this.#limit = n;
    while (this.#active < n && this.#waiting.length > 0) this.#take()();
  }

  get active(): number {
    return this.#active;
  }
  get maxSeen(): number {
    return this.#maxSeen;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  run(ctx: ConsumeContext, next: Next): Promise<void> {
    if (this.#active < this.#limit) {
      // The common case takes a slot at once, without an extra promise.
      this.#active++;
      if (this.#active > this.#maxSeen) this.#maxSeen = this.#active;
      return next(ctx).then(this.#release, this.#releaseAndThrow);
    }
    return this.#wait(ctx).then(() => next(ctx).then(this.#release, this.#releaseAndThrow));
  }

  #wait(ctx: ConsumeContext): Promise<void> {
    if (ctx.aborted) return Promise.reject(ctx.abortReason);
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        unwatch();
        resolve();
      };
      const unwatch = watchAbort(ctx, () => {
        const i = this.#waiting.indexOf(wake);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(ctx.abortReason);
      });
      this.#waiting.push(wake);
    });
  }

  /** The first waiter, counted as active. */
  #take(): () => void {
    this.#active++;
    if (this.#active > this.#maxSeen) this.#maxSeen = this.#active;
    return this.#waiting.shift() as () => void;
  }

  /** Hands the slot straight to the next waiter (at once, so no newcomer jumps the line), unless the limit was lowered past it. */
  readonly #release = (): void => {
    this.#active--;
    if (this.#active < this.#limit && this.#waiting.length > 0) this.#take()();
  };

  /**
   * A failed handler's slot, without per-call closures. With someone waiting, the slot is handed
   * on only in a later macrotask: the error first travels up through the policies outside this one
   * (each a microtask), so a breaker it opens puts the waiter back before it starts; handed on at
   * once, the waiter reached its handler first. The slot stays taken meanwhile, so no newcomer
   * jumps the line. Successes hand it on at once; the extra turn is paid only on failures.
   */
  readonly #releaseAndThrow = (error: unknown): never => {
    if (this.#waiting.length === 0) this.#active--;
    else setImmediate(this.#release);
    throw error;
  };

  describe(): Record<string, unknown> {
    return { limit: this.#limit, active: this.#active, waiting: this.#waiting.length, maxSeen: this.#maxSeen };
  }
}
