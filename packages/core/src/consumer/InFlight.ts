import type { Delivery } from './Delivery.js';

/**
 * The deliveries a consumer has taken and not yet settled, and the two waits on them: for all
 * of them to end (shutdown's drain), and for any handler to end (isolation waits for the
 * channel to go quiet).
 */
export class InFlight implements Iterable<Delivery> {
  readonly #deliveries = new Set<Delivery>();
  #drained: (() => void) | undefined;
  #changed: (() => void) | undefined;

  get size(): number {
    return this.#deliveries.size;
  }

  [Symbol.iterator](): Iterator<Delivery> {
    return this.#deliveries[Symbol.iterator]();
  }

  add(delivery: Delivery): void {
    this.#deliveries.add(delivery);
  }

  finish(delivery: Delivery): void {
    this.#deliveries.delete(delivery);
    if (this.#deliveries.size === 0) this.#drained?.();
  }

  /** A handler ended (settled or not): wakes a `waitForChange`. */
  ended(): void {
    this.#changed?.();
  }

  /** Resolves true when nothing is in flight, false after `ms`. */
  waitForDrain(ms: number): Promise<boolean> {
    if (this.#deliveries.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = undefined;
        resolve(false);
      }, ms);
      this.#drained = () => {
        clearTimeout(timer);
        this.#drained = undefined;
        resolve(true);
      };
    });
  }

  /** Resolves when a handler ends, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      this.#changed = done;
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.#changed === done) self.#changed = undefined;
        resolve();
      }
    });
  }
}
