import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Disposable } from '../../events/TypedEvents.js';
import { registerConnectionMetrics } from './connectionMetrics.js';
import { ConsumerCounters } from './consumerCounters.js';
import { registerConsumerGauges } from './consumerGauges.js';
import type { MetricsSource } from './MetricsSource.js';
import { registerPublisherMetrics } from './publisherMetrics.js';
import { DEFAULT_DEPTH_SAMPLE_MS, type QueueDepth, QueueDepthSampler } from './QueueDepthSampler.js';

/** `metrics` in an app's run options. */
export interface MetricsOptions {
  /** A prom-client Registry to register Warren's metrics into (beside your own); default: a new one. */
  registry?: Registry;
  /** Also Node's process metrics (CPU, memory, event-loop lag: prom-client's defaults). Default false. */
  processMetrics?: boolean;
  /** Read each consumed queue's depth from the broker at most this often, in ms (on scrape). Default 5000. */
  queueDepthEveryMs?: number;
}

/**
 * An app's Prometheus metrics (prom-client). Counters of things that happen subscribe to the
 * app's typed events; the state of flow control (in flight, windows, limits, blocks, buffers,
 * depths) is read from stats() and describe() when scraped. Mechanisms never import this: it
 * reads them. Labels are consumer, queue, outcome, reason, connection: never a message id.
 */
export class AppMetrics {
  readonly registry: Registry;
  readonly depths: QueueDepthSampler;
  readonly #counters: ConsumerCounters;
  readonly #subscriptions: Disposable[];
  readonly #stopObserving: () => void;

  constructor(source: MetricsSource, options: MetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registry = this.registry;
    this.#counters = new ConsumerCounters(source, registry);
    registerConsumerGauges(source, registry, this.#counters);
    this.#subscriptions = registerConnectionMetrics(source, registry);
    this.#stopObserving = registerPublisherMetrics(source, registry);
    this.depths = new QueueDepthSampler(
      source.consumers.map((c) => ({ queue: c.options.queue, read: () => c.queueStats() })),
      options.queueDepthEveryMs ?? DEFAULT_DEPTH_SAMPLE_MS,
    );
    const depths = this.depths;
    const publisher = source.publisher;
    new Gauge<'queue'>({
      name: 'warren_queue_ready_messages',
      help: "Ready messages in the app's consumed queues and its publisher's limits targets, as last read from the broker",
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        this.reset();
        // The publisher's own reads first; a consumed queue's reading (fresher, on demand) wins.
        for (const v of publisher.limits()) if (v.ready !== undefined) this.set({ queue: v.queue }, v.ready);
        for (const d of await depths.sample()) this.set({ queue: d.queue }, d.ready);
      },
    });
    new Gauge<'queue'>({
      name: 'warren_queue_consumers',
      help: 'Consumers on each consumed queue, all workers, as last read from the broker',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const d of await depths.sample()) if (d.consumers !== undefined) this.set({ queue: d.queue }, d.consumers);
      },
    });
    if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  }

  /** Every metric in the registry, in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The consumed queues' depths, read at most every `queueDepthEveryMs` however often asked (shared with the scrape). */
  queueDepths(): Promise<QueueDepth[]> {
    return this.depths.sample();
  }

  /** Stops listening to the app (its metrics stay registered, frozen). */
  dispose(): void {
    this.#counters.dispose();
    for (const s of this.#subscriptions.splice(0)) s.dispose();
    this.#stopObserving();
  }
}
