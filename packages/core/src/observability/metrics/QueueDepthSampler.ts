/** One queue as last read from the broker. */
export interface QueueDepth {
  readonly queue: string;
  readonly ready: number;
  /** Consumers on the queue, all workers (undefined when the reading did not say). */
  readonly consumers: number | undefined;
  /** Date.now() of the reading. */
  readonly at: number;
}

/** A queue and how to ask the broker about it (a consumer's passive declare). */
export interface DepthProbe {
  readonly queue: string;
  read(): Promise<{ ready: number; consumers: number } | undefined>;
}

export const DEFAULT_DEPTH_SAMPLE_MS = 5000;

/**
 * Depths of the consumed queues, read from the broker at a bounded rate whoever asks: a scrape
 * (or the dashboard) gets the last readings, and starts new ones only when they are older than
 * `everyMs`. At most one round is under way at once; every asker of a round gets its answers. A
 * queue that does not answer keeps its last reading (its `at` says how old).
 */
export class QueueDepthSampler {
  readonly #probes: readonly DepthProbe[];
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, QueueDepth>();
  #round: Promise<void> | undefined;
  #roundAt = Number.NEGATIVE_INFINITY;
  reads = 0;

  constructor(probes: readonly DepthProbe[], everyMs = DEFAULT_DEPTH_SAMPLE_MS, now: () => number = Date.now) {
    this.#probes = probes;
    this.#everyMs = everyMs;
    this.#now = now;
  }

  /** The readings, refreshed first if the last round is older than everyMs. */
  async sample(): Promise<QueueDepth[]> {
    if (this.#now() - this.#roundAt >= this.#everyMs) {
      this.#roundAt = this.#now();
      this.#round ??= this.#read().finally(() => {
        this.#round = undefined;
      });
    }
    await this.#round;
    return [...this.#last.values()];
  }

  /** The readings as they are, without asking the broker. */
  latest(): QueueDepth[] {
    return [...this.#last.values()];
  }

  async #read(): Promise<void> {
    // A queue consumed by several consumers is read once.
    const byQueue = new Map(this.#probes.map((p) => [p.queue, p]));
    await Promise.all(
      [...byQueue.values()].map(async (probe) => {
        this.reads++;
        const answer = await probe.read().catch(() => undefined);
        if (answer !== undefined) {
          this.#last.set(probe.queue, { queue: probe.queue, ready: answer.ready, consumers: answer.consumers, at: this.#now() });
        }
      }),
    );
  }
}
