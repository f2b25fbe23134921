/** A deadline being watched: `expire` runs once it has passed, unless it was removed first. */
export interface Watched {
  /** When it passes, on performance.now()'s clock (monotonic: a wall-clock step moves no deadline). */
  readonly at: number;
  expire(now: number): void;
}

/**
 * One timer for every deadline of a consumer, armed for the earliest: a timer per message cost
 * a Timeout object, a timer list per distinct duration and a clearTimeout on every delivery (the
 * issue measured +15 % CPU per message with `timeoutMs`). Adding and removing a deadline is a
 * Set operation. The timer is not cleared when its deadline's work ends early: it fires once
 * (with `timeoutMs`, about once per timeoutMs), expires what has passed, and re-arms for the
 * earliest left, so the common case costs no timer call at all.
 *
 * The timer keeps the process alive only while a deadline is watched, as a timer per message
 * did: left armed with nothing watched, it is unref'd, so a stopped consumer does not hold its
 * process open until it fires.
 */
export class DeadlineTimer {
  readonly #watched = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.#watched.size;
  }

  add(w: Watched): void {
    this.#watched.add(w);
    if (w.at < this.#armedFor) this.#arm(w.at);
    else if (this.#watched.size === 1) this.#timer?.ref();
  }

  remove(w: Watched): void {
    if (this.#watched.delete(w) && this.#watched.size === 0) this.#timer?.unref();
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - performance.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    const due: Watched[] = [];
    for (const w of this.#watched) {
      if (w.at <= now) {
        this.#watched.delete(w);
        due.push(w);
      } else if (w.at < next) next = w.at;
    }
    // Armed for what is left before any expire runs: one that throws cannot leave the rest unwatched.
    if (next < Number.POSITIVE_INFINITY) this.#arm(next);
    for (const w of due) w.expire(now);
  };
}
