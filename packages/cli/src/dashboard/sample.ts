import type { ConsumerStats } from '@warren/core';

/** One consumer at one tick: what the charts plot. */
export interface ConsumerPoint {
  /** Deliveries settled per second over the last tick (acked, retried, dead-lettered, requeued, dropped). */
  handled: number;
  /** Of those, retried or dead-lettered, per second. */
  failed: number;
  /** Deliveries taken and not yet settled. */
  inFlight: number;
  /** The prefetch window at the broker now (the adaptive limit moves it). */
  window: number;
  /** The concurrency limit (handlers at once), fixed or adaptive; null when there is none. */
  limit: number | null;
  /** Ready messages in its queue at the last read; null when unknown. */
  depth: number | null;
}

/** One tick of the whole app. */
export interface Sample {
  t: number;
  consumers: Record<string, ConsumerPoint>;
}

export type PolicyView = { name: string } & Record<string, unknown>;

export interface Settled {
  total: number;
  failed: number;
}

/** Counts that only grow, so a rate is the difference of two reads. */
export function settledOf(stats: ConsumerStats): Settled {
  const failed = stats.retried + stats.deadLettered + stats.dropped;
  return { total: stats.acked + stats.requeued + failed, failed };
}

/** Per second over `dtMs`, to one decimal; a first read (no previous) or a clock that did not move gives 0. */
export function perSecond(now: number, before: number | undefined, dtMs: number): number {
  if (before === undefined || dtMs <= 0) return 0;
  return Math.round(((now - before) * 10_000) / dtMs) / 10;
}

/** The concurrency limit a consumer's policies enforce: the adaptive one's, else the fixed one's. */
export function limitOf(policies: readonly PolicyView[]): number | null {
  const limit = (name: string): number | undefined => {
    const value = policies.find((p) => p.name === name)?.limit;
    return typeof value === 'number' ? value : undefined;
  };
  return limit('adaptiveConcurrency') ?? limit('concurrency') ?? null;
}

/** A short word for each policy's live state worth showing beside the charts (breaker state, rate-limit waits). */
export function policySummary(policies: readonly PolicyView[]): string[] {
  const out: string[] = [];
  for (const p of policies) {
    if (p.name === 'breaker' && typeof p.state === 'string') out.push(`breaker ${p.state}`);
    else if (typeof p.perSecond === 'number') out.push(`rate limit ${p.perSecond}/s, ${Number(p.waiting ?? 0)} waiting`);
  }
  return out;
}

/** One consumer's point from two reads of its counts `dtMs` apart. */
export function pointOf(input: {
  stats: ConsumerStats;
  previous: Settled | undefined;
  dtMs: number;
  window: number;
  policies: readonly PolicyView[];
  depth: number | null;
}): { point: ConsumerPoint; settled: Settled } {
  const settled = settledOf(input.stats);
  return {
    settled,
    point: {
      handled: perSecond(settled.total, input.previous?.total, input.dtMs),
      failed: perSecond(settled.failed, input.previous?.failed, input.dtMs),
      inFlight: input.stats.inFlight,
      window: input.window,
      limit: limitOf(input.policies),
      depth: input.depth,
    },
  };
}
