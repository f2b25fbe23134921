/** Watches queues' depths while a test runs (not a test file itself). */
import { type BrokerAdmin, listQueueCounts } from '@warren/testing';

/** Pause between two reads of the broker's own counters (each a call to the local node). */
const BROKER_EVERY_MS = 100;

/**
 * Samples the ready count of some queues in the background, two ways: a passive declare every
 * `everyMs` (fast, many samples) and the broker's own messages_ready counters (list_queues, every
 * 100 ms; about one a second where each read is a rabbitmqctl run), keeping the most seen of each.
 * `stop()` waits for the loops to end.
 */
export class DepthWatch {
  /** Most ready messages seen, by queue, over both kinds of sample. */
  readonly max = new Map<string, number>();
  /** The latest passive-declare sample, by queue. */
  readonly latest = new Map<string, number>();
  declareSamples = 0;
  brokerSamples = 0;
  #stopped = false;
  readonly #loops: Array<Promise<void>>;

  private constructor(admin: BrokerAdmin, queues: readonly string[], everyMs: number) {
    const record = (queue: string, ready: number): void => {
      this.max.set(queue, Math.max(this.max.get(queue) ?? 0, ready));
    };
    const declares = async (): Promise<void> => {
      while (!this.#stopped) {
        for (const q of queues) {
          const ready = await admin.depth(q).catch(() => undefined);
          if (ready === undefined) continue;
          this.latest.set(q, ready);
          record(q, ready);
          this.declareSamples++;
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    };
    const broker = async (): Promise<void> => {
      while (!this.#stopped) {
        const counts = await listQueueCounts().catch(() => new Map<string, { ready: number }>());
        for (const [name, { ready }] of counts) {
          if (queues.includes(name) && Number.isFinite(ready)) {
            record(name, ready);
            this.brokerSamples++;
          }
        }
        await new Promise((r) => setTimeout(r, BROKER_EVERY_MS));
      }
    };
    this.#loops = [declares(), broker()];
  }

  static start(admin: BrokerAdmin, queues: readonly string[], everyMs = 20): DepthWatch {
    return new DepthWatch(admin, queues, everyMs);
  }

  maxOf(queue: string): number {
    return this.max.get(queue) ?? 0;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}
