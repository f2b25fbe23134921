import { Counter, type Gauge, type Registry } from 'prom-client';
import type { ConsumerRuntime } from '../../consumer/ConsumerRuntime.js';
import type { ConsumerCounters } from './consumerCounters.js';
import { type MetricsSource, scrapedGauge, seconds } from './MetricsSource.js';

type Labels = 'consumer' | 'queue';
type Policy = { name: string } & Record<string, unknown>;

const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
const LIMIT_POLICIES: ReadonlySet<string> = new Set(['concurrency', 'adaptiveConcurrency']);

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The consumer metrics read when scraped, from each consumer's stats() and its policies'
 * describe(): nothing of these is on the message path. Flow control in one look: in flight
 * against the prefetch window and the concurrency limit, why intake is off and for how long, the
 * breaker's state, and the time deliveries waited for the rate limiter.
 */
export function registerConsumerGauges(source: MetricsSource, registry: Registry, counters: ConsumerCounters): void {
  const registers = [registry];
  const consumers = source.consumers;
  const each = (fn: (c: ConsumerRuntime, labels: Record<Labels, string>, policies: Policy[]) => void): void => {
    for (const c of consumers) {
      fn(c, { consumer: c.name, queue: c.options.queue }, c.describe().policies as Policy[]);
    }
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>) => void): void =>
    scrapedGauge(registry, name, help, labelNames, fill);
  const labels: Labels[] = ['consumer', 'queue'];

  gauge('warren_consumer_in_flight', 'Deliveries held unsettled (running, or waiting in a policy for a slot or a token)', labels, (g) =>
    each((c, l) => g.set(l, c.stats().inFlight)),
  );
  gauge(
    'warren_consumer_prefetch',
    'The prefetch window at the broker now (an adaptive limit or a half-open breaker moves it)',
    labels,
    (g) => each((c, l) => g.set(l, c.prefetchNow)),
  );
  gauge('warren_consumer_prefetch_max', 'The configured prefetch: the ceiling of the window', labels, (g) =>
    each((c, l) => g.set(l, c.options.prefetch)),
  );
  gauge('warren_consumer_concurrency_limit', 'Handlers allowed at once now (the fixed or adaptive limit)', labels, (g) =>
    each((_c, l, policies) => {
      const limit = finite(policies.find((p) => LIMIT_POLICIES.has(p.name))?.limit);
      if (limit !== undefined) g.set(l, limit);
    }),
  );
  gauge('warren_consumer_intake_on', '1 while the consumer takes messages, 0 while its intake is off', labels, (g) =>
    each((c, l) => g.set(l, c.stats().intakeOff === null ? 1 : 0)),
  );
  gauge(
    'warren_consumer_paused',
    'Reasons the consumer is paused for now, 1 each (breaker:<name> for an open breaker, or what the app gave pause())',
    [...labels, 'reason'],
    (g) =>
      each((c, l) => {
        for (const reason of c.stats().pausedBy) g.set({ ...l, reason }, 1);
      }),
  );
  gauge(
    'warren_consumer_breaker_state',
    "The circuit breaker's state: 1 for the state it is in, 0 for the others",
    [...labels, 'breaker', 'state'],
    (g) =>
      each((_c, l, policies) => {
        for (const p of policies) {
          if (p.name !== 'breaker' || typeof p.state !== 'string') continue;
          for (const state of BREAKER_STATES) g.set({ ...l, breaker: String(p.breaker), state }, p.state === state ? 1 : 0);
        }
      }),
  );
  gauge(
    'warren_consumer_rate_limit_waiting',
    'Deliveries waiting for a rate-limit token now (the whole limiter, if shared)',
    [...labels, 'limiter'],
    (g) =>
      each((_c, l, policies) => {
        for (const p of rateLimits(policies)) g.set({ ...l, limiter: p.name }, finite(p.waiting) ?? 0);
      }),
  );

  new Counter<Labels | 'limiter'>({
    name: 'warren_consumer_rate_limit_wait_seconds_total',
    help: "Seconds this consumer's deliveries waited for a rate-limit token, in all",
    labelNames: [...labels, 'limiter'],
    registers,
    collect() {
      this.reset();
      each((c, l, policies) => {
        for (const p of rateLimits(policies)) {
          const byConsumer = p.waitedMsByConsumer as Record<string, number> | undefined;
          const ms = byConsumer === undefined ? finite(p.waitedMs) : (byConsumer[c.name] ?? 0);
          this.inc({ ...l, limiter: p.name }, seconds(ms ?? 0));
        }
      });
    },
  });
  new Counter<Labels | 'why'>({
    name: 'warren_consumer_intake_off_seconds_total',
    help: 'Seconds the consumer took no messages, by why: paused (see warren_consumer_paused), isolating (a suspect runs alone), recovering, stopping',
    labelNames: [...labels, 'why'],
    registers,
    collect() {
      this.reset();
      for (const o of counters.intakeOffMs(Date.now())) this.inc({ consumer: o.consumer, queue: o.queue, why: o.why }, seconds(o.ms));
    },
  });
}

/** The rate-limit policies among a consumer's (they describe perSecond and waitedMs). */
function rateLimits(policies: Policy[]): Policy[] {
  return policies.filter((p) => typeof p.perSecond === 'number' && typeof p.waitedMs === 'number');
}
