import type { ConfirmWindow } from './ConfirmWindow.js';
import { fateOnChannelLoss } from './fateOnChannelLoss.js';
import { BUFFERED, type PendingPublish, WRITTEN } from './PendingPublish.js';
import type { PublishBuffer } from './PublishBuffer.js';
import type { PublishSettler } from './PublishSettler.js';

/**
 * Everything the publisher accepted and has not settled (buffered, held at a `limits` mark,
 * written and unconfirmed) seen whole, for the two moments it must be: when the channel they
 * were written to is lost (fateOnChannelLoss decides, this carries it out), and when close()
 * drains (waits for none to be left, up to its grace period, then gives up on the rest). The
 * publish path uses the same buffer and window directly; while nobody waits for the drain, its
 * pump pays one undefined check here.
 */
export class UnsettledPublishes {
  readonly #buffer: PublishBuffer<PendingPublish>;
  readonly #window: ConfirmWindow<PendingPublish>;
  readonly #settler: PublishSettler;
  readonly #held: () => number;
  /** Set while close() waits. */
  #wake: (() => void) | undefined;

  constructor(buffer: PublishBuffer<PendingPublish>, window: ConfirmWindow<PendingPublish>, settler: PublishSettler, held: () => number) {
    this.#buffer = buffer;
    this.#window = window;
    this.#settler = settler;
    this.#held = held;
  }

  /**
   * The channel closed: its written, unconfirmed publishes fail, or go first in the buffer to be
   * written again on the next channel (oldest first). Returns how many were lost and re-sent.
   */
  channelLost(error: Error | undefined, republishUnconfirmed: boolean): { unconfirmed: number; resent: number } {
    const lost: PendingPublish[] = [];
    for (const entry of this.#window.takeAll()) if (entry.phase === WRITTEN) lost.push(entry);
    const { resend, reject } = fateOnChannelLoss(lost, error, { republishUnconfirmed });
    for (const r of reject) this.#settler.lost(r.entry, r.error);
    for (let i = resend.length - 1; i >= 0; i--) {
      const entry = resend[i] as PendingPublish;
      entry.phase = BUFFERED;
      this.#buffer.unshift(entry);
    }
    this.#settler.counts.republished += resend.length;
    return { unconfirmed: lost.length, resent: resend.length };
  }

  /** Nothing waits for an answer: buffer empty, nothing held, and every written message settled. */
  isIdle(): boolean {
    if (this.#buffer.length > 0 || this.#held() > 0) return false;
    return !this.#window.some((entry) => entry.phase === WRITTEN);
  }

  /** Something settled or moved: wakes close() if it waits and nothing is left. */
  checkIdle(): void {
    if (this.#wake !== undefined && this.isIdle()) this.#wake();
  }

  /** Resolves once idle (see checkIdle), or after `graceMs`. */
  async untilIdle(graceMs: number): Promise<void> {
    if (this.isIdle() || graceMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, graceMs);
    });
    clearTimeout(timer);
    this.#wake = undefined;
  }

  /** close() gives up: `held` (the limits' held publishes), then the buffer, then the window, each settled by PublishSettler.abandon. */
  abandonAll(held: Iterable<PendingPublish>): void {
    for (const entry of held) this.#settler.abandon(entry);
    for (const entry of this.#buffer.takeAll()) this.#settler.abandon(entry);
    for (const entry of this.#window.takeAll()) this.#settler.abandon(entry);
  }
}
