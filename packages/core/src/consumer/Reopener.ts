import { backoffDelay, DEFAULT_BACKOFF } from '../connection/backoff.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { WarrenEvents } from '../events/events.js';
import type { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import type { ConsumerChannel } from './ConsumerChannel.js';
import { describeFailure } from './outcome.js';

export interface ReopenHost {
  readonly name: string;
  readonly connection: ConnectionManager;
  readonly channel: ConsumerChannel;
  readonly log: Logger;
  readonly events: TypedEvents<WarrenEvents>;
  stopping(): boolean;
  /** The retry queues to declare with the topology. */
  delays(): Iterable<number>;
  /** The channel is back: bring intake in line. */
  restored(): Promise<void>;
  /** Intake was interrupted: the state becomes 'recovering'. */
  interrupted(): void;
}

/**
 * Restores a consumer's channel after it was lost: at once after a reconnect, with capped,
 * jittered backoff after a failed attempt or a broker-closed channel (406, consumer_timeout, a
 * deleted queue), never while stopping. Each cause is logged once, not once per attempt.
 */
export class Reopener {
  readonly #host: ReopenHost;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #reopening = false;
  #lastInterruption = '';
  #again: string | undefined;

  constructor(host: ReopenHost) {
    this.#host = host;
  }

  interruptedBy(reason: string): void {
    const h = this.#host;
    if (h.stopping()) return;
    if (reason !== this.#lastInterruption) {
      this.#lastInterruption = reason;
      h.log.warn({ reason }, 'consumer interrupted; it will be restored');
      h.events.emit('consumerInterrupted', h.name, reason);
    }
    h.interrupted();
  }

  /** Consuming again: the next loss backs off from the start, and its cause is logged anew. */
  consumed(): void {
    this.#attempt = 0;
    this.#lastInterruption = '';
  }

  schedule(reason: string, delayMs?: number): void {
    if (this.#host.stopping()) return;
    if (this.#reopening) {
      // The channel being restored was lost again (its consume refused: the queue deleted again,
      // 403, 405): restore it once more when this attempt is over, instead of forgetting it.
      this.#again = reason;
      return;
    }
    clearTimeout(this.#timer);
    const delay = delayMs ?? backoffDelay(++this.#attempt, DEFAULT_BACKOFF);
    this.#timer = setTimeout(() => void this.#reopen(reason), delay);
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }

  async #reopen(reason: string): Promise<void> {
    const h = this.#host;
    if (h.stopping() || this.#reopening) return;
    this.#reopening = true;
    try {
      await h.connection.waitForConnected();
      await h.channel.close();
      if (await h.channel.open(h.delays(), () => !h.stopping())) {
        h.log.info({ reason }, 'consumer restored');
        await h.restored();
      }
    } catch (error) {
      const state = h.connection.state;
      if (!h.stopping() && state !== 'closed' && state !== 'failed') {
        this.interruptedBy(`cannot restore: ${describeFailure(error).message}`);
        this.#reopening = false;
        this.schedule(reason);
      }
    } finally {
      this.#reopening = false;
    }
    const again = this.#again;
    this.#again = undefined;
    if (again !== undefined && !h.channel.isOpen) this.schedule(again);
  }
}
