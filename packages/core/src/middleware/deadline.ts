import { DeadlineExceededError } from '../errors/handlerErrors.js';
import { DeadlineTimer, type Watched } from '../message/DeadlineTimer.js';
import { HEADER } from '../message/headers.js';
import type { ConsumeContext, Middleware, Next } from './Middleware.js';

/** Header a publisher may set: the absolute time (ms since epoch) after which handling is pointless. */
export const DEADLINE_HEADER = HEADER.deadline;

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Warren's deadline policy. Each delivery gets a deadline: `timeoutMs` from when it arrived, or
 * the earlier deadline it already carries (the message's own `x-warren-deadline`, or one Warren
 * imposes on a suspect run alone). When it passes, the signal aborts and the delivery fails with
 * DeadlineExceededError. The handler is not awaited past the deadline; if it ends later its
 * result is discarded and counted as late. One timer serves every delivery (DeadlineTimer).
 */
export class Deadline implements Middleware {
  readonly name = 'deadline';
  #expired = 0;
  #late = 0;
  readonly #timer = new DeadlineTimer();

  constructor(readonly timeoutMs: number | undefined) {}

  get late(): number {
    return this.#late;
  }

  run(ctx: ConsumeContext, next: Next): Promise<void> {
    let deadline = ctx.deadline;
    if (this.timeoutMs !== undefined) {
      const ours = ctx.receivedAt + this.timeoutMs;
      if (deadline === undefined || ours < deadline) deadline = ours;
    }
    if (deadline === undefined) return next(ctx);
    const fromMessage = deadline === ctx.messageDeadline;
    const remaining = deadline - Date.now();
    // setTimeout fires at once past 2^31-1 ms (~24.8 days): such a deadline is no deadline.
    if (remaining > MAX_TIMER_MS) return next(ctx);
    if (remaining <= 0) {
      this.#expired++;
      return Promise.reject(
        new DeadlineExceededError(`deadline passed before the handler started (${-remaining} ms ago)`, { fromMessage }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      // Watched on the monotonic clock: the wall clock is read once, for what remains.
      const watch = new Watch(this, ctx, performance.now() + remaining, remaining, fromMessage, resolve, reject);
      this.#timer.add(watch);
      next(ctx).then(
        () => watch.ended(undefined, true),
        (error: unknown) => watch.ended(error, false),
      );
    });
  }

  /** A watch's deadline passed first: counted. */
  expired(): void {
    this.#expired++;
  }

  /** A watch's work ended after its deadline (a waiter that left its queue on the abort is not late). */
  ranLate(): void {
    this.#late++;
  }

  /** A watch's work ended in time: its deadline is no longer watched. */
  unwatch(watch: Watch): void {
    this.#timer.remove(watch);
  }

  describe(): Record<string, unknown> {
    return { timeoutMs: this.timeoutMs ?? null, expired: this.#expired, lateResults: this.#late };
  }
}

/** One delivery's deadline while its handling runs: whichever comes first, the end of the work or the deadline, settles it. */
class Watch implements Watched {
  #timedOut: DeadlineExceededError | undefined;

  constructor(
    readonly owner: Deadline,
    readonly ctx: ConsumeContext,
    readonly at: number,
    /** ms left when it started, for the message. */
    readonly remaining: number,
    readonly fromMessage: boolean,
    readonly resolve: () => void,
    readonly reject: (error: unknown) => void,
  ) {}

  expire(): void {
    this.owner.expired();
    const remaining = Math.round(this.remaining);
    const timedOut = new DeadlineExceededError(
      this.ctx.started
        ? `handler did not finish within ${remaining} ms`
        : `deadline passed while waiting for a free slot (${remaining} ms)`,
      { fromMessage: this.fromMessage },
    );
    this.#timedOut = timedOut;
    this.ctx.abort(timedOut);
    this.reject(timedOut);
  }

  ended(error: unknown, ok: boolean): void {
    const timedOut = this.#timedOut;
    if (timedOut !== undefined) {
      // A waiter that left its queue on the abort rejects with our own error: nothing ran late.
      if (ok || error !== timedOut) this.owner.ranLate();
      return;
    }
    this.owner.unwatch(this);
    if (ok) this.resolve();
    else this.reject(error);
  }
}
