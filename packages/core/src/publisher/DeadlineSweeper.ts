import type { ConfirmWindow } from './ConfirmWindow.js';
import { type PendingPublish, WRITTEN } from './PendingPublish.js';
import type { PublishBuffer } from './PublishBuffer.js';

export const SWEEP_EVERY_MS = 50;

export interface DeadlineSweeperOptions {
  /** Settles a publish past its deadline; `written`: it may still reach the queue. */
  readonly expire: (entry: PendingPublish, written: boolean) => void;
  /** After every sweep, with the time it swept at. */
  readonly swept?: (now: number) => void;
  /** Work of the sweep's beyond the buffer and the window (the `limits` gate's held publishes and refusals): the timer stays while true. */
  readonly busy?: () => boolean;
  readonly everyMs?: number;
  readonly now?: () => number;
}

/**
 * One timer for every publish's deadline, instead of one per message: a deadline is kept to
 * within `everyMs`, and a publish costs no timer. Buffered publishes past their deadline leave
 * the buffer; written ones keep their window slot until the broker answers or the channel
 * closes (they are still unconfirmed), but their caller is told now.
 *
 * The timer runs only while there is something to sweep: armed by wake() when a publish is
 * accepted, cleared by the first sweep that finds nothing left. An idle publisher wakes its
 * process for nothing (a 50 ms interval alone cost an idle Node process 3.3 ms of CPU a second
 * here, against 0.5 without it).
 */
export class DeadlineSweeper {
  readonly #buffer: PublishBuffer<PendingPublish>;
  readonly #window: ConfirmWindow<PendingPublish>;
  readonly #expire: (entry: PendingPublish, written: boolean) => void;
  readonly #swept: (now: number) => void;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #busy: () => boolean;
  #started = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(buffer: PublishBuffer<PendingPublish>, window: ConfirmWindow<PendingPublish>, options: DeadlineSweeperOptions) {
    this.#buffer = buffer;
    this.#window = window;
    this.#expire = options.expire;
    this.#swept = options.swept ?? (() => undefined);
    this.#everyMs = options.everyMs ?? SWEEP_EVERY_MS;
    this.#now = options.now ?? Date.now;
    this.#busy = options.busy ?? (() => false);
  }

  /** Idempotent: sweeps from now on, while there is something to sweep. The timer never keeps the process alive on its own. */
  start(): void {
    this.#started = true;
    if (!this.#idle()) this.wake();
  }

  /** A publish was accepted: the timer runs (one undefined check when it already does). */
  wake(): void {
    if (this.#timer !== undefined || !this.#started) return;
    this.#timer = setInterval(() => this.sweep(), this.#everyMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#started = false;
    this.#disarm();
  }

  /** Whether the timer runs now. */
  get armed(): boolean {
    return this.#timer !== undefined;
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
    if (this.#idle()) this.#disarm();
  }

  #idle(): boolean {
    return this.#buffer.length === 0 && this.#window.size === 0 && !this.#busy();
  }

  #disarm(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
