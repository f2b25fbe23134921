import { DeadlineExceededError } from '../errors/handlerErrors.js';
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
 * result is discarded and counted as late.
 */
export class Deadline implements Middleware {
  readonly name = 'deadline';
  #expired = 0;
  #late = 0;

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
      let timedOut: DeadlineExceededError | undefined;
      const timer = setTimeout(() => {
        this.#expired++;
        timedOut = new DeadlineExceededError(
          ctx.started
            ? `handler did not finish within ${Math.round(remaining)} ms`
            : `deadline passed while waiting for a free slot (${Math.round(remaining)} ms)`,
          { fromMessage },
        );
        ctx.abort(timedOut);
        reject(timedOut);
      }, remaining);
      next(ctx).then(
        () => {
          if (timedOut !== undefined) this.#late++;
          else {
            clearTimeout(timer);
            resolve();
          }
        },
        (error: unknown) => {
          // A waiter that left its queue on the abort rejects with our own error: nothing ran late.
          if (timedOut !== undefined) {
            if (error !== timedOut) this.#late++;
          } else {
            clearTimeout(timer);
            reject(error);
          }
        },
      );
    });
  }

  describe(): Record<string, unknown> {
    return { timeoutMs: this.timeoutMs ?? null, expired: this.#expired, lateResults: this.#late };
  }
}
