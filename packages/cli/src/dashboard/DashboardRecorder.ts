import type { Disposable, WarrenApp } from '@warren/core';
import { DepthSampler, type DepthSamplerOptions } from './DepthSampler.js';
import { EventStream, type EventStreamOptions } from './EventStream.js';
import { type Mark, subscribeMarks } from './marks.js';
import { RingBuffer } from './RingBuffer.js';
import { type ConsumerPoint, type PolicyView, pointOf, policySummary, type Sample, type Settled } from './sample.js';

export interface DashboardOptions {
  /** Shown in the page's title. */
  appName?: string;
  /** One sample of every consumer this often. Default 1000 ms. */
  intervalMs?: number;
  /** How far back the charts reach (samples kept: historyMs / intervalMs). Default 5 minutes. */
  historyMs?: number;
  /** Marks kept (the oldest go first). Default 500. */
  maxMarks?: number;
  depth?: DepthSamplerOptions;
  stream?: EventStreamOptions;
}

/** The current numbers, beside each chart. */
export interface Status {
  t: number;
  app: { name: string; state: string; health: string };
  connections: Array<{ role: string; state: string; blocked: boolean; blockedForMs: number }>;
  publisher: {
    state: string;
    inFlight: number;
    buffered: number;
    bufferedBytes: number;
    held: number;
    limits: Array<{ queue: string; ready: number | null; mark: number; held: number; full: boolean }>;
  };
  consumers: Array<{
    name: string;
    queue: string;
    state: string;
    /** Why it takes no messages now (null: it does), and who paused it. */
    intakeOff: string | null;
    pausedBy: string[];
    /** The configured prefetch: the most the window can be. */
    prefetch: number;
    totals: { acked: number; retried: number; deadLettered: number; requeued: number; dropped: number };
    policies: string[];
    now: ConsumerPoint;
  }>;
}

/** What /api/state answers and what each event stream starts with. */
export interface Snapshot {
  intervalMs: number;
  historyMs: number;
  /** Each queue's depth is read at most this often. */
  depthEveryMs: number;
  samples: Sample[];
  marks: Mark[];
  status: Status;
}

/**
 * Keeps the last minutes of every consumer (one sample per tick, in a ring buffer) and the
 * back-pressure marks, and streams both to open dashboards. All of it is read from the app's
 * counters, describe() and lifecycle events once per tick: nothing is added to the per-message path.
 * It stops by itself when the app stops (ending the streams, so the server can close).
 */
export class DashboardRecorder {
  readonly stream: EventStream;
  readonly intervalMs: number;
  readonly historyMs: number;
  readonly #app: WarrenApp;
  readonly #appName: string;
  readonly #samples: RingBuffer<Sample>;
  readonly #marks: RingBuffer<Mark>;
  readonly #depth: DepthSampler;
  readonly #settled = new Map<string, Settled>();
  readonly #subscriptions: Disposable[];
  #lastTickAt: number | undefined;
  #status: Status;
  #timer: NodeJS.Timeout | undefined;

  constructor(app: WarrenApp, options: DashboardOptions = {}) {
    this.#app = app;
    this.#appName = options.appName ?? 'warren';
    this.intervalMs = options.intervalMs ?? 1000;
    this.historyMs = options.historyMs ?? 5 * 60_000;
    this.#samples = new RingBuffer(Math.max(1, Math.ceil(this.historyMs / this.intervalMs)));
    this.#marks = new RingBuffer(options.maxMarks ?? 500);
    this.stream = new EventStream(options.stream);
    this.#depth = new DepthSampler(new Map(app.consumers.map((c) => [c.name, () => c.queueStats()])), options.depth);
    this.#subscriptions = subscribeMarks(
      {
        app: app.events,
        connections: [app.connections.consume, app.connections.publish],
        publisher: app.publisher.events,
        pausedBy: (name) => app.consumers.find((c) => c.name === name)?.stats().pausedBy ?? [],
      },
      (mark, replaced) => {
        if (!replaced) this.#marks.push(mark);
        this.stream.send('mark', mark);
      },
    );
    this.#status = this.#read(Date.now()).status;
    this.#timer = setInterval(() => this.tick(), this.intervalMs);
    this.#timer.unref();
    void this.#depth.round();
  }

  /** Marks so far, oldest first. */
  get marks(): Mark[] {
    return this.#marks.toArray();
  }

  snapshot(): Snapshot {
    return {
      intervalMs: this.intervalMs,
      historyMs: this.historyMs,
      depthEveryMs: this.#depth.everyMs,
      samples: this.#samples.toArray(),
      marks: this.#marks.toArray(),
      status: this.#status,
    };
  }

  /** One sample (the timer calls it every intervalMs). */
  tick(now: number = Date.now()): void {
    const { sample, status } = this.#read(now);
    this.#samples.push(sample);
    this.#status = status;
    this.stream.send('tick', { sample, status });
    const state = this.#app.state;
    if (state === 'stopped' || state === 'failed') this.close();
    else void this.#depth.round(now);
  }

  /** Stops sampling and listening, and ends the streams. Idempotent. */
  close(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const s of this.#subscriptions) s.dispose();
    this.stream.close(['end', { state: this.#app.state }]);
  }

  #read(now: number): { sample: Sample; status: Status } {
    const dtMs = this.#lastTickAt === undefined ? 0 : now - this.#lastTickAt;
    this.#lastTickAt = now;
    const app = this.#app;
    const points: Record<string, ConsumerPoint> = {};
    const consumers: Status['consumers'] = [];
    for (const c of app.consumers) {
      const stats = c.stats();
      const policies = c.describe().policies as PolicyView[];
      const { point, settled } = pointOf({
        stats,
        previous: this.#settled.get(c.name),
        dtMs,
        window: c.prefetchNow,
        policies,
        depth: this.#depth.depth(c.name),
      });
      this.#settled.set(c.name, settled);
      points[c.name] = point;
      consumers.push({
        name: c.name,
        queue: c.options.queue,
        state: stats.state,
        intakeOff: stats.intakeOff,
        pausedBy: stats.pausedBy,
        prefetch: c.options.prefetch,
        totals: {
          acked: stats.acked,
          retried: stats.retried,
          deadLettered: stats.deadLettered,
          requeued: stats.requeued,
          dropped: stats.dropped,
        },
        policies: policySummary(policies),
        now: point,
      });
    }
    const p = app.publisher.stats();
    const status: Status = {
      t: now,
      app: { name: this.#appName, state: app.state, health: app.health().status },
      connections: [app.connections.consume, app.connections.publish].map((c) => ({
        role: c.role,
        state: c.state,
        blocked: c.isBlocked,
        blockedForMs: c.blockedForMs,
      })),
      publisher: {
        state: app.publisher.state,
        inFlight: p.inFlight,
        buffered: p.buffered,
        bufferedBytes: p.bufferedBytes,
        held: p.held,
        limits: app.publisher.limits().map((l) => ({ queue: l.queue, ready: l.ready ?? null, mark: l.mark, held: l.held, full: l.full })),
      },
      consumers,
    };
    return { sample: { t: now, consumers: points }, status };
  }
}
