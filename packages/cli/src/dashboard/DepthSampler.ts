/** Reads one queue's ready count (a passive declare); undefined when the broker cannot tell. */
export type DepthReader = () => Promise<{ ready: number } | undefined>;

export interface DepthSamplerOptions {
  /** A queue is read at most this often. Default 2000 ms. */
  everyMs?: number;
  /** Reads per round at most, whatever the number of queues: each is a broker round trip on a side channel. Default 4. */
  perRound?: number;
}

/**
 * Queue depths for the dashboard, read at a bounded rate and shared by every viewer: one round
 * per tick reads the stalest queues (at most `perRound`, one after another, none read within
 * `everyMs`), and a round still under way (a broker slow to answer) makes the next one skip.
 * With a tick a second, the broker sees at most `perRound` passive declares a second from the
 * dashboard, however many consumers or browser tabs there are.
 */
export class DepthSampler {
  readonly #readers: Map<string, DepthReader>;
  readonly #everyMs: number;
  readonly #perRound: number;
  readonly #depth = new Map<string, { ready: number | null; at: number; seq: number }>();
  #running: Promise<void> | undefined;
  #reads = 0;

  constructor(readers: Map<string, DepthReader>, options: DepthSamplerOptions = {}) {
    this.#readers = readers;
    this.#everyMs = options.everyMs ?? 2000;
    this.#perRound = options.perRound ?? 4;
  }

  /** Ready messages at the last read (null: unknown or failed). */
  depth(name: string): number | null {
    return this.#depth.get(name)?.ready ?? null;
  }

  /** A queue is read at most this often. */
  get everyMs(): number {
    return this.#everyMs;
  }

  /** Reads made so far. */
  get reads(): number {
    return this.#reads;
  }

  /** Starts a round unless one is under way; resolves when it is done (the recorder does not wait). */
  round(now: number = Date.now()): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    // Least recently read first (by the order of reads: the reads of one round share a time).
    const order = (name: string): number => this.#depth.get(name)?.seq ?? 0;
    const due = [...this.#readers.keys()]
      .filter((name) => now - (this.#depth.get(name)?.at ?? Number.NEGATIVE_INFINITY) >= this.#everyMs)
      .sort((a, b) => order(a) - order(b))
      .slice(0, this.#perRound);
    if (due.length === 0) return Promise.resolve();
    this.#running = this.#read(due, now).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #read(names: string[], now: number): Promise<void> {
    for (const name of names) {
      const reader = this.#readers.get(name) as DepthReader;
      const seq = ++this.#reads;
      const answer = await reader().catch(() => undefined);
      this.#depth.set(name, { ready: answer?.ready ?? null, at: now, seq });
    }
  }
}
