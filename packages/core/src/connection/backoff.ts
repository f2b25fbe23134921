export interface BackoffOptions {
  /** First delay, in ms. */
  initialDelayMs: number;
  /** Largest delay, in ms. */
  maxDelayMs: number;
  /** Growth per attempt. */
  factor: number;
  /** 0..1: the delay is spread uniformly over ±jitter of itself, so restarted fleets do not reconnect in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 200, maxDelayMs: 15_000, factor: 2, jitter: 0.2 };

/** Delay before attempt `attempt` (1-based): exponential, capped, jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
  const spread = base * options.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(options.maxDelayMs, base + spread)));
}
