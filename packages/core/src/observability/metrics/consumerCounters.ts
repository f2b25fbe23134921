import { Counter, type Registry } from 'prom-client';
import type { ConsumerState } from '../../events/events.js';
import type { Disposable } from '../../events/TypedEvents.js';
import { BucketCounts, HistogramExport } from './BucketCounts.js';
import { type MetricsSource, seconds } from './MetricsSource.js';
import { StateClock } from './StateClock.js';

/** Handling time buckets, in seconds: a few ms (a cache write) to a minute (a slow batch). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Why a consumer takes no messages (its state while intake is off); 'consuming' is intake on. */
export type IntakeState = 'consuming' | 'paused' | 'isolating' | 'recovering' | 'stopping';
const OFF_STATES: ReadonlySet<ConsumerState> = new Set(['paused', 'isolating', 'recovering', 'stopping']);

/** One consumer's counts, as plain numbers: a settle costs a map lookup and a few additions. */
interface ConsumerSeries {
  readonly queue: string;
  acked: number;
  retried: number;
  requeued: number;
  unsettled: number;
  /** By reason. */
  readonly deadLettered: Map<string, number>;
  readonly duration: BucketCounts;
  readonly intake: StateClock<IntakeState>;
}

/**
 * The consumer metrics that count as things happen, from the app's typed events: messages by
 * outcome (dead letters by reason), the time from delivery to settle, breaker openings, limit
 * moves, and the time intake was off, by why. The per-message cost is the 'settled' listener: one
 * map lookup and a few additions to plain numbers, handed to prom-client when scraped.
 */
export class ConsumerCounters {
  readonly #series = new Map<string, ConsumerSeries>();
  readonly #breakerOpens: Counter<'consumer' | 'queue' | 'breaker'>;
  readonly #limitChanges: Counter<'consumer' | 'queue' | 'reason'>;
  readonly #subscriptions: Disposable[];

  constructor(source: MetricsSource, registry: Registry) {
    const registers = [registry];
    const all = this.#series;
    new Counter<'consumer' | 'queue' | 'outcome' | 'reason'>({
      name: 'warren_consumer_messages_total',
      help: 'Deliveries settled, by outcome (acked, retried, dead_lettered with its reason, requeued; unsettled: its channel was gone, the broker redelivers it)',
      labelNames: ['consumer', 'queue', 'outcome', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [consumer, s] of all) {
          const labels = { consumer, queue: s.queue, reason: '' };
          this.inc({ ...labels, outcome: 'acked' }, s.acked);
          this.inc({ ...labels, outcome: 'retried' }, s.retried);
          this.inc({ ...labels, outcome: 'requeued' }, s.requeued);
          this.inc({ ...labels, outcome: 'unsettled' }, s.unsettled);
          for (const [reason, n] of s.deadLettered) this.inc({ ...labels, outcome: 'dead_lettered', reason }, n);
        }
      },
    });
    HistogramExport.register(
      registry,
      new HistogramExport(
        'warren_consumer_handle_duration_seconds',
        'Seconds from delivery to settle: waits in policies, the handler, and the settle (a retry or dead letter includes its confirm)',
        () => [...all].map(([consumer, s]) => ({ labels: { consumer, queue: s.queue }, buckets: s.duration })),
      ),
    );
    this.#breakerOpens = new Counter({
      name: 'warren_consumer_breaker_opens_total',
      help: "Times the consumer's circuit breaker opened (its intake stopped)",
      labelNames: ['consumer', 'queue', 'breaker'],
      registers,
    });
    this.#limitChanges = new Counter({
      name: 'warren_consumer_limit_changes_total',
      help: 'Moves of the adaptive concurrency limit (the prefetch window follows), by reason',
      labelNames: ['consumer', 'queue', 'reason'],
      registers,
    });
    const now = Date.now();
    for (const c of source.consumers) {
      // Every series exists from the start, at 0: rate() and alerts need no "absent" case.
      this.#series.set(c.name, {
        queue: c.options.queue,
        acked: 0,
        retried: 0,
        requeued: 0,
        unsettled: 0,
        deadLettered: new Map(),
        duration: new BucketCounts(DURATION_BUCKETS),
        intake: new StateClock<IntakeState>(toIntake(c.state) ?? 'consuming', now),
      });
    }
    const e = source.events;
    this.#subscriptions = [
      e.on('settled', (consumer, outcome, durationMs, onBroker) => {
        const s = this.#series.get(consumer);
        if (s === undefined) return;
        s.duration.observe(seconds(durationMs));
        if (!onBroker) s.unsettled++;
        else if (outcome.action === 'ack') s.acked++;
        else if (outcome.action === 'retry') s.retried++;
        else if (outcome.action === 'requeue') s.requeued++;
        else s.deadLettered.set(outcome.reason, (s.deadLettered.get(outcome.reason) ?? 0) + 1);
      }),
      e.on('consumerState', (consumer, state) => {
        const intake = toIntake(state);
        if (intake !== undefined) this.#series.get(consumer)?.intake.enter(intake, Date.now());
      }),
      e.on('breakerOpen', (breaker, consumers) => {
        for (const c of consumers) {
          const queue = this.#series.get(c)?.queue;
          if (queue !== undefined) this.#breakerOpens.inc({ consumer: c, queue, breaker });
        }
      }),
      e.on('limitChanged', (consumer, _limit, _previous, reason) => {
        const queue = this.#series.get(consumer)?.queue;
        if (queue !== undefined) this.#limitChanges.inc({ consumer, queue, reason });
      }),
    ];
  }

  /** Each consumer's time with intake off, by why (scrape time: a pause under way counts up to now). */
  intakeOffMs(now: number): Array<{ consumer: string; queue: string; why: IntakeState; ms: number }> {
    const out: Array<{ consumer: string; queue: string; why: IntakeState; ms: number }> = [];
    for (const [consumer, s] of this.#series) {
      for (const why of s.intake.states()) {
        if (why !== 'consuming') out.push({ consumer, queue: s.queue, why, ms: s.intake.totalMs(why, now) });
      }
    }
    return out;
  }

  dispose(): void {
    for (const s of this.#subscriptions.splice(0)) s.dispose();
  }
}

/** The intake state a consumer state means; undefined for states before and after a run (idle, starting, stopped). */
function toIntake(state: ConsumerState): IntakeState | undefined {
  if (state === 'consuming') return 'consuming';
  return OFF_STATES.has(state) ? (state as IntakeState) : undefined;
}
