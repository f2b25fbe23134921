import { BreakerOpenError } from '../errors/handlerErrors.js';
import type { BreakerLink } from './BreakerLink.js';
import type { ConsumeContext, Next } from './Middleware.js';
import { watchAbort } from './watchAbort.js';

/** A delivery that reached a half-open breaker while every probe was out: it waits for their verdict. */
interface Waiter {
  readonly link: BreakerLink;
  readonly go: () => void;
  readonly refuse: (error: unknown) => void;
}

/**
 * Deliveries a half-open circuit breaker keeps waiting. The probe window (prefetch =
 * halfOpenProbes) is set on the consumers, but a shared breaker serves several, and a window
 * narrowed on a live subscription may take effect late: deliveries beyond the probes wait here
 * for the verdict (bounded by prefetch) instead of going back to the queue, which the consumer
 * would take them from again at once. Apart from CircuitBreaker: only a half-open breaker sends
 * deliveries here.
 */
export class ProbeWaiters {
  readonly #waiting: Waiter[] = [];
  /** The breaker's way for one delivery, tried again when a waiter goes. */
  readonly #run: (link: BreakerLink, ctx: ConsumeContext, next: Next) => Promise<void>;

  constructor(run: (link: BreakerLink, ctx: ConsumeContext, next: Next) => Promise<void>) {
    this.#run = run;
  }

  get size(): number {
    return this.#waiting.length;
  }

  /** Waits for the verdict: then goes the breaker's way again, or back to the queue. */
  wait(link: BreakerLink, ctx: ConsumeContext, next: Next): Promise<void> {
    if (ctx.aborted) return Promise.reject(ctx.abortReason);
    return new Promise<void>((resolve, reject) => {
      const leave = (): void => {
        this.#remove(waiter);
        unwatch();
      };
      const waiter: Waiter = {
        link,
        go: () => {
          leave();
          resolve(this.#run(link, ctx, next));
        },
        refuse: (error) => {
          leave();
          link.putBack++;
          reject(error);
        },
      };
      const unwatch = watchAbort(ctx, () => {
        leave();
        reject(ctx.abortReason);
      });
      this.#waiting.push(waiter);
    });
  }

  /** A probe ended without telling anything (neutral): the first waiter may take its place. */
  wakeOne(): void {
    this.#waiting[0]?.go();
  }

  /** The breaker closed: every waiter goes on. */
  goAll(): void {
    for (const waiter of [...this.#waiting]) waiter.go();
  }

  /** The breaker opened: every waiter goes back to the queue with `refusal`. */
  refuseAll(refusal: BreakerOpenError): void {
    for (const waiter of [...this.#waiting]) waiter.refuse(refusal);
  }

  /** A consumer stops: its waiters go back to the queue. */
  leave(link: BreakerLink): void {
    for (const waiter of this.#waiting.filter((w) => w.link === link)) waiter.refuse(new BreakerOpenError('the consumer is stopping'));
  }

  #remove(waiter: Waiter): void {
    const i = this.#waiting.indexOf(waiter);
    if (i >= 0) this.#waiting.splice(i, 1);
  }
}
