/**
 * Time spent in each state of something that is in one state at a time (a consumer's intake, a
 * connection's block), told of each change as it happens and read at scrape time: the state it
 * is in now counts up to `now`, so a scrape during a long pause sees it grow.
 */
export class StateClock<S extends string> {
  readonly #totals = new Map<S, number>();
  #state: S;
  #since: number;

  constructor(initial: S, now: number) {
    this.#state = initial;
    this.#since = now;
  }

  get state(): S {
    return this.#state;
  }

  /** The state is `state` from `now` on (the same state again changes nothing). */
  enter(state: S, now: number): void {
    if (state === this.#state) return;
    this.#add(this.#state, now - this.#since);
    this.#state = state;
    this.#since = now;
  }

  /** ms spent in `state` in all, up to `now`. */
  totalMs(state: S, now: number): number {
    const past = this.#totals.get(state) ?? 0;
    return state === this.#state ? past + Math.max(0, now - this.#since) : past;
  }

  /** Every state seen so far (the current one included). */
  states(): S[] {
    const seen = new Set(this.#totals.keys());
    seen.add(this.#state);
    return [...seen];
  }

  #add(state: S, ms: number): void {
    this.#totals.set(state, (this.#totals.get(state) ?? 0) + Math.max(0, ms));
  }
}
