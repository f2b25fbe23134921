/**
 * Rounding slack: tokens are refilled as a float (elapsed × rate), so a token that is due may be
 * 0.9999999999 of one; treating that as a whole token avoids an extra 1 ms timer round.
 */
const EPSILON = 1e-9;

/**
 * A token bucket (pure: the caller passes the time): `perSecond` tokens are added continuously,
 * up to `capacity` (the burst allowed after a quiet spell); each call takes one. Unlike a
 * count-per-interval window (MassTransit's RateLimitFilter resets a count each interval, so two
 * intervals' worth can pass around a reset), the rate holds over any span: at most
 * capacity + perSecond × seconds tokens are taken in any window.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  #perMs: number;

  /** Starts full, at `now` (ms, any monotonic origin). */
  constructor(
    readonly capacity: number,
    perSecond: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#at = now;
    this.#perMs = perSecond / 1000;
  }

  get perSecond(): number {
    return this.#perMs * 1000;
  }

  /** Tokens in the bucket at `now` (a fraction while the next one fills); reading changes nothing. */
  tokens(now: number): number {
    return now > this.#at ? Math.min(this.capacity, this.#tokens + (now - this.#at) * this.#perMs) : this.#tokens;
  }

  /** Takes a token if a whole one is there. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /**
   * For a line of callers that has waited since its next token was due: takes up to `max` tokens
   * and returns how many. The timer that serves a line fires late (by a ms or more, more on a busy
   * loop); a plain refill would cap at `capacity` and lose that lateness on every token, so a
   * line would run below the rate. Here the line keeps the schedule's phase (the part of an
   * interval a late tick earned is kept) while whole intervals lost to a stall are not made up:
   * never more than `capacity` go at once.
   */
  takeForLine(now: number, max: number): number {
    if (now > this.#at) {
      const earned = this.#tokens + (now - this.#at) * this.#perMs;
      this.#tokens = Math.min(earned, this.capacity + (earned % 1));
      this.#at = now;
    }
    let taken = 0;
    while (taken < max && this.#tokens >= 1 - EPSILON) {
      this.#tokens = Math.max(0, this.#tokens - 1);
      taken++;
    }
    this.#tokens = Math.min(this.#tokens, this.capacity);
    return taken;
  }

  /** ms until a whole token is there (0: one is there now). */
  msUntilToken(now: number): number {
    const tokens = this.tokens(now);
    return tokens >= 1 - EPSILON ? 0 : (1 - tokens) / this.#perMs;
  }

  /** Changes the rate from `now` on; what was earned at the old rate is kept. */
  setRate(perSecond: number, now: number): void {
    this.#refill(now);
    this.#perMs = perSecond / 1000;
  }

  #refill(now: number): void {
    // A clock that goes back (only an injected one can) earns nothing, and nothing twice.
    if (now <= this.#at) return;
    this.#tokens = Math.min(this.capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}
