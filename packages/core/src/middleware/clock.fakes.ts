/**
 * A policy clock for unit tests (test-only: `*.fakes.*` is left out of the published package).
 * Time moves only when told, and the timers due fire in order as it moves.
 */
import type { PolicyClock } from './PolicyClock.js';

export class FakeClock implements PolicyClock {
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #ids = 0;
  t: number;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.#timers.set(++this.#ids, { at: this.t + ms, fn });
    return this.#ids;
  }
  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as number);
  }
  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }
  /** Moves time on by `ms`, firing each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.#fireNext(end));
    this.t = end;
  }
  /** As advance, letting the promises each timer settles run before the next fires, and after the last. */
  async advanceSettling(ms: number): Promise<void> {
    const end = this.t + ms;
    while (this.#fireNext(end)) await settle();
    this.t = end;
    await settle();
  }

  /** Fires the earliest timer due by `end`, moving time to it; false when none is. */
  #fireNext(end: number): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.#timers) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
    if (next === undefined) return false;
    this.#timers.delete(next[0]);
    this.t = Math.max(this.t, next[1].at);
    next[1].fn();
    return true;
  }
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
