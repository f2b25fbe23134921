export type BreakerState = 'closed' | 'open' | 'half-open';

/** What the end of a call tells the breaker: `neutral` when the dependency was never called (or we cut it short). */
export type CallResult = 'success' | 'failure' | 'neutral';

/** A state change, for the breaker to announce (event, log line) and act on (pause, resume). */
export type BreakerTransition =
  | { readonly to: 'open'; readonly openMs: number; readonly reason: string; readonly failureRate?: number }
  | { readonly to: 'half-open'; readonly probes: number }
  | { readonly to: 'closed' };

/** `acquire()` when the breaker is open: the call must not go. */
export const REFUSED = -1;
/** `acquire()` when half-open and every probe is out: wait for their verdict. */
export const WAIT = -2;

/** Every option with its default filled in. */
export interface BreakerSettings {
  readonly failureRate: number;
  readonly minCalls: number;
  readonly windowMs: number;
  readonly openMs: number;
  readonly halfOpenProbes: number;
  readonly maxOpenMs: number;
}

/**
 * The window is a ring of this many buckets, each windowMs / BUCKETS wide, with running totals
 * (subtract on evict), as resilience4j's time-based window: O(1) per call, whatever the traffic.
 * The rate covers the last windowMs to within one bucket.
 */
const BUCKETS = 10;

/**
 * The circuit breaker's state machine, pure: it reads time only from `now`, sets no timers and
 * knows no consumers (the policy around it, `CircuitBreaker` in breaker.ts, does). closed → open when the failure rate over the window reaches `failureRate` with at
 * least `minCalls` calls; open → half-open once `openMs` has passed (checked by `poll`); half-open
 * lets `halfOpenProbes` calls through: all succeed → closed (openMs back to its start), one fails
 * → open again for twice as long, up to maxOpenMs. Each call carries a ticket (the epoch it was
 * let in under), so a call that ends after the state moved on is not counted against the new one.
 */
export class BreakerMachine {
  #state: BreakerState = 'closed';
  #epoch = 0;
  readonly #calls = new Uint32Array(BUCKETS);
  readonly #failures = new Uint32Array(BUCKETS);
  #head = 0;
  #headStart: number;
  #totalCalls = 0;
  #totalFailures = 0;
  #openMs: number;
  #openUntil = 0;
  #permits = 0;
  #successes = 0;

  constructor(
    readonly settings: BreakerSettings,
    readonly now: () => number,
  ) {
    this.#openMs = settings.openMs;
    this.#headStart = now();
  }

  get state(): BreakerState {
    return this.#state;
  }
  /** When an open breaker half-opens (on the `now` clock). */
  get openUntil(): number {
    return this.#openUntil;
  }

  /** Lets a call through (its ticket, >= 0), or says REFUSED (open) or WAIT (half-open, every probe out). */
  acquire(): number {
    if (this.#state === 'closed') return this.#epoch;
    if (this.#state === 'open') return REFUSED;
    if (this.#permits === 0) return WAIT;
    this.#permits--;
    return this.#epoch;
  }

  /** How a call let in with `ticket` ended; the transition it caused, if any. */
  record(ticket: number, result: CallResult): BreakerTransition | undefined {
    if (ticket !== this.#epoch || this.#state === 'open') return undefined;
    if (this.#state === 'half-open') {
      if (result === 'neutral') this.#permits++;
      else if (result === 'failure') return this.#open(this.#grow(), 'a probe failed');
      else if (++this.#successes >= this.settings.halfOpenProbes) return this.#close();
      return undefined;
    }
    if (result === 'neutral') return undefined;
    this.#rotate();
    const head = this.#head;
    this.#calls[head] = (this.#calls[head] ?? 0) + 1;
    this.#totalCalls++;
    if (result === 'failure') {
      this.#failures[head] = (this.#failures[head] ?? 0) + 1;
      this.#totalFailures++;
    }
    if (this.#totalFailures === 0 || this.#totalCalls < this.settings.minCalls) return undefined;
    const rate = this.#totalFailures / this.#totalCalls;
    return rate >= this.settings.failureRate ? this.#open(this.#openMs, 'failure rate', rate) : undefined;
  }

  /**
   * Opens at once, because the dependency said it is down: for `retryAfterMs` when it gave one
   * (at most maxOpenMs), else for openMs (grown, if a probe said so). Already open: stays open at
   * least that long, without a new transition.
   */
  trip(retryAfterMs: number | undefined, reason: string): BreakerTransition | undefined {
    const told =
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs > 0
        ? Math.min(Math.ceil(retryAfterMs), this.settings.maxOpenMs)
        : undefined;
    if (this.#state === 'open') {
      if (told !== undefined) this.#openUntil = Math.max(this.#openUntil, this.now() + told);
      return undefined;
    }
    const ms = told ?? (this.#state === 'half-open' ? this.#grow() : this.#openMs);
    return this.#open(ms, reason);
  }

  /** Half-opens an open breaker whose time is up. */
  poll(): BreakerTransition | undefined {
    if (this.#state !== 'open' || this.now() < this.#openUntil) return undefined;
    this.#state = 'half-open';
    this.#epoch++;
    this.#permits = this.settings.halfOpenProbes;
    this.#successes = 0;
    return { to: 'half-open', probes: this.settings.halfOpenProbes };
  }

  /**
   * Closed, and the window cannot judge yet: the failure rate is at the mark but there are fewer
   * than minCalls calls. A failure now may be the start of an outage.
   */
  undecided(): boolean {
    if (this.#state !== 'closed') return false;
    this.#rotate();
    return (
      this.#totalFailures > 0 &&
      this.#totalCalls < this.settings.minCalls &&
      this.#totalFailures / this.#totalCalls >= this.settings.failureRate
    );
  }

  /** The live state, for /health. */
  snapshot(): {
    state: BreakerState;
    failureRate: number | null;
    calls: number;
    failures: number;
    openMs: number;
    remainingMs: number | null;
    probes: { allowed: number; running: number; succeeded: number } | null;
  } {
    if (this.#state === 'closed') this.#rotate();
    const probes = this.settings.halfOpenProbes;
    return {
      state: this.#state,
      failureRate: this.#totalCalls === 0 ? null : Math.round((this.#totalFailures / this.#totalCalls) * 1000) / 1000,
      calls: this.#totalCalls,
      failures: this.#totalFailures,
      openMs: this.#openMs,
      remainingMs: this.#state === 'open' ? Math.max(0, Math.ceil(this.#openUntil - this.now())) : null,
      probes:
        this.#state === 'half-open'
          ? { allowed: probes, running: probes - this.#permits - this.#successes, succeeded: this.#successes }
          : null,
    };
  }

  #open(ms: number, reason: string, failureRate?: number): BreakerTransition {
    this.#state = 'open';
    this.#epoch++;
    this.#openUntil = this.now() + ms;
    this.#resetWindow();
    return failureRate === undefined ? { to: 'open', openMs: ms, reason } : { to: 'open', openMs: ms, reason, failureRate };
  }

  #close(): BreakerTransition {
    this.#state = 'closed';
    this.#epoch++;
    this.#openMs = this.settings.openMs;
    this.#resetWindow();
    return { to: 'closed' };
  }

  /** A failed probe: the dependency is still down, so wait twice as long (up to maxOpenMs). */
  #grow(): number {
    this.#openMs = Math.min(this.#openMs * 2, this.settings.maxOpenMs);
    return this.#openMs;
  }

  #resetWindow(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#totalCalls = 0;
    this.#totalFailures = 0;
    this.#head = 0;
    this.#headStart = this.now();
  }

  /** Moves the head to the bucket of `now`, evicting (and subtracting) the buckets that left the window. */
  #rotate(): void {
    const width = this.settings.windowMs / BUCKETS;
    const now = this.now();
    let steps = Math.floor((now - this.#headStart) / width);
    if (steps <= 0) return;
    if (steps >= BUCKETS) {
      this.#resetWindow();
      return;
    }
    this.#headStart += steps * width;
    while (steps-- > 0) {
      this.#head = (this.#head + 1) % BUCKETS;
      this.#totalCalls -= this.#calls[this.#head] ?? 0;
      this.#totalFailures -= this.#failures[this.#head] ?? 0;
      this.#calls[this.#head] = 0;
      this.#failures[this.#head] = 0;
    }
  }
}
