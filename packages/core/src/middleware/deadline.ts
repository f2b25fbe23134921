import type { Delivery } from '../consumer/Delivery.js';
import { DeadlineExceededError } from '../errors/handlerErrors.js';
import type { Middleware, Next } from './Middleware.js';

/** Header a publisher may set: the absolute time (ms since epoch) after which handling is pointless. */
export const DEADLINE_HEADER = 'x-warren-deadline';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Gives each delivery a deadline: `timeoutMs` from when it arrived, or the message's own
 * `x-warren-deadline` header if that is sooner. When it passes, `ctx.signal` aborts and the
 * delivery fails with DeadlineExceededError (a retry). The handler is not awaited past the
 * deadline; if it ends later its result is discarded and counted as late.
 */
export class Deadline implements Middleware {
  readonly name = 'deadline';
  #expired = 0;
  #late = 0;

  constructor(readonly timeoutMs: number | undefined) {}

  get late(): number {
    return this.#late;
  }

  run(delivery: Delivery, next: Next): Promise<void> {
    const deadline = this.#deadlineOf(delivery);
    if (deadline === undefined) return next(delivery);
    const remaining = deadline - Date.now();
    // setTimeout fires at once past 2^31-1 ms (~24.8 days): such a deadline is no deadline.
    if (remaining > MAX_TIMER_MS) return next(delivery);
    if (remaining <= 0) {
      this.#expired++;
      return Promise.reject(new DeadlineExceededError(`deadline passed before the handler started (${-remaining} ms ago)`));
    }
    return new Promise<void>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.#expired++;
        const error = new DeadlineExceededError(`handler did not finish within ${Math.round(remaining)} ms`);
        delivery.abort(error);
        reject(error);
      }, remaining);
      next(delivery).then(
        () => {
          if (timedOut) this.#late++;
          else {
            clearTimeout(timer);
            resolve();
          }
        },
        (error: unknown) => {
          if (timedOut) this.#late++;
          else {
            clearTimeout(timer);
            reject(error);
          }
        },
      );
    });
  }

  #deadlineOf(delivery: Delivery): number | undefined {
    const fromOption = this.timeoutMs === undefined ? undefined : delivery.receivedAt + this.timeoutMs;
    const header = delivery.headers[DEADLINE_HEADER];
    const fromHeader = typeof header === 'number' && Number.isFinite(header) ? header : undefined;
    if (fromHeader === undefined) return fromOption;
    return fromOption === undefined ? fromHeader : Math.min(fromOption, fromHeader);
  }

  describe(): Record<string, unknown> {
    return { timeoutMs: this.timeoutMs ?? null, expired: this.#expired, lateResults: this.#late };
  }
}
