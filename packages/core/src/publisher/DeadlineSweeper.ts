import type { ConfirmWindow } from './ConfirmWindow.js';
import { type PendingPublish, WRITTEN } from './PendingPublish.js';
import type { PublishBuffer } from './PublishBuffer.js';

export const SWEEP_EVERY_MS = 50;

export interface DeadlineSweeperOptions {
  /** Settles a publish past its deadline; `written`: it may still reach the queue. */
  readonly expire: (entry: PendingPublish, written: boolean) => void;
  /** After every sweep, with the time it swept at. */
  readonly swept?: (now: number) => void;
  readonly everyMs?: number;
  readonly now?: () => number;
}

/**
 * One timer for every publish's deadline, instead of one per message: a deadline is kept to
 * within `everyMs`, and a publish costs no timer. Buffered publishes past their deadline leave
 * the buffer; written ones keep their window slot until the broker answers or the channel
 * closes (they are still unconfirmed), but their caller is told now.
 */
export class DeadlineSweeper {
  readonly #buffer: PublishBuffer<PendingPublish>;
  readonly #window: ConfirmWindow<PendingPublish>;
  readonly #expire: (entry: PendingPublish, written: boolean) => void;
  readonly #swept: (now: number) => void;
  readonly #everyMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(buffer: PublishBuffer<PendingPublish>, window: ConfirmWindow<PendingPublish>, options: DeadlineSweeperOptions) {
    this.#buffer = buffer;
    this.#window = window;
    this.#expire = options.expire;
    this.#swept = options.swept ?? (() => undefined);
    this.#everyMs = options.everyMs ?? SWEEP_EVERY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Idempotent. The timer never keeps the process alive on its own. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.#everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sweep(now: number = this.#now()): void {
    if (this.#buffer.length > 0) {
      this.#buffer.removeWhere(
        (entry) => entry.deadline <= now,
        (entry) => this.#expire(entry, false),
      );
    }
    this.#window.some((entry) => {
      if (entry.phase === WRITTEN && entry.deadline <= now) this.#expire(entry, true);
      return false;
    });
    this.#swept(now);
  }
}
