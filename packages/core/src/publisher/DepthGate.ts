import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { Logger } from '../logging/logger.js';
import type { PendingPublish } from './PendingPublish.js';
import type { PublishBuffer } from './PublishBuffer.js';
import { QueueDepthLimits, type QueueDepthView, type QueueLimit } from './QueueDepthLimits.js';
import { QueueDepthProbe } from './QueueDepthProbe.js';

/** What the limits need of the publisher; handed on to QueueDepthLimits as they are. */
export interface DepthGateHooks {
  /** A held publish may go now: write it, or buffer it (held, it was counted in the buffer's bounds already). */
  readonly release: (entry: PendingPublish) => void;
  /** After the releases of one answer. */
  readonly released: () => void;
  /** Settles a publish that will not be sent. */
  readonly refuse: (entry: PendingPublish, error: Error) => void;
  /** A queue went over its mark or back under it: the `downstream` event. */
  readonly changed: (view: QueueDepthView) => void;
}

/**
 * The publisher's `limits`, wired to it: QueueDepthLimits with the QueueDepthProbe that asks the
 * broker, held publishes counted in the publisher's buffer bounds (held or buffered, a publish
 * takes the same memory), and the log lines of a queue reaching its mark and getting room again.
 * Apart from Publisher, which makes one only when `limits` names a queue: a publisher without
 * limits pays one undefined check per publish and nothing more.
 */
export class DepthGate {
  readonly #limits: QueueDepthLimits;
  readonly #probe: QueueDepthProbe;
  readonly #buffer: PublishBuffer<PendingPublish>;

  constructor(
    limits: ReadonlyMap<string, QueueLimit>,
    conn: ConnectionManager,
    buffer: PublishBuffer<PendingPublish>,
    log: Logger,
    hooks: DepthGateHooks,
  ) {
    const probe = new QueueDepthProbe(conn);
    this.#probe = probe;
    this.#buffer = buffer;
    this.#limits = new QueueDepthLimits(limits, {
      probe: (queue) => probe.readyMessages(queue),
      hasRoom: (bytes) => this.hasRoom(bytes),
      release: hooks.release,
      released: hooks.released,
      refuse: hooks.refuse,
      changed: (view, notable) => {
        hooks.changed(view);
        if (!notable) return;
        const { queue, ready, mark, held } = view;
        if (view.full)
          log.warn(
            { queue, ready, mark, held },
            `queue "${queue}" is at its mark: publishes to it ${view.policy === 'wait' ? 'wait' : 'fail'}`,
          );
        else log.info({ queue, ready, mark }, `queue "${queue}" has room again`);
      },
      unanswered: (queue, error, inARow) => {
        if (inARow === 1) log.warn({ queue, err: (error as Error).message }, 'cannot read the depth of a limited queue; asking again');
      },
    });
  }

  /** Publishes held, over all queues. */
  get held(): number {
    return this.#limits.held;
  }

  /** Whether the publisher's sweep has work here (QueueDepthLimits.needsSweep). */
  get needsSweep(): boolean {
    return this.#limits.needsSweep;
  }

  /** Whether a publish straight to a queue may be written now; false: held or refused (QueueDepthLimits.admit). */
  admit(entry: PendingPublish): boolean {
    return this.#limits.admit(entry);
  }

  /** Whether one more publish of `bytes` may wait: held publishes count against the buffer's bounds too. */
  hasRoom(bytes: number): boolean {
    const b = this.#buffer;
    const d = this.#limits;
    return b.length + d.held < b.maxMessages && b.bytes + d.heldBytes + bytes <= b.maxBytes;
  }

  /** basic.nack of a publish straight to a queue: true when it is held again to wait for room (QueueDepthLimits.refused). */
  refused(entry: PendingPublish): boolean {
    return this.#limits.refused(entry);
  }

  /** Part of the publisher's deadline sweep: fails held publishes past their deadline, asks again where some wait. */
  sweep(now: number): void {
    this.#limits.sweep(now);
  }

  describe(): QueueDepthView[] {
    return this.#limits.describe();
  }

  /** Asks no more and hands back every held publish, for close() to settle. */
  close(): PendingPublish[] {
    const held = this.#limits.takeAll();
    this.#probe.close();
    return held;
  }
}
