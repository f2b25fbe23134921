import type { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import type { ConfirmWindow } from './ConfirmWindow.js';
import type { DepthGate } from './DepthGate.js';
import type { PendingPublish } from './PendingPublish.js';
import type { PublishBuffer } from './PublishBuffer.js';
import type { PublisherEvents, PublisherState, PublisherStats } from './PublisherEvents.js';
import type { PublishCounts } from './PublishSettler.js';
import type { RequestsOnChannel } from './RequestsOnChannel.js';

/** What the status reads; the publisher's own parts, shared. */
export interface PublisherStatusSources {
  readonly events: TypedEvents<PublisherEvents>;
  readonly log: Logger;
  readonly window: ConfirmWindow<PendingPublish>;
  readonly buffer: PublishBuffer<PendingPublish>;
  readonly counts: PublishCounts;
  readonly depth: DepthGate | undefined;
  readonly requests: RequestsOnChannel;
}

/**
 * The publisher as the outside sees it: its state, made from three facts the publisher tells it
 * (closing, a confirm channel, the broker's block) and reported once per change (a stateChanged
 * event and one log line), and its stats. Apart from Publisher, which does the work and only says
 * what changed; nothing here is on the publish path.
 */
export class PublisherStatus {
  readonly #s: PublisherStatusSources;
  #state: PublisherState = 'reconnecting';

  constructor(sources: PublisherStatusSources) {
    this.#s = sources;
  }

  get state(): PublisherState {
    return this.#state;
  }

  /** The facts now; logs and emits when the state they make is a new one. */
  update(closing: boolean, hasChannel: boolean, blocked: boolean): void {
    const next: PublisherState = closing ? 'closed' : !hasChannel ? 'reconnecting' : blocked ? 'blocked' : 'ready';
    if (next === this.#state) return;
    const previous = this.#state;
    this.#state = next;
    const context = { state: next, previous, inFlight: this.#s.window.size, buffered: this.#s.buffer.length };
    if (next === 'ready' || next === 'closed') this.#s.log.info(context, `publisher ${next}`);
    else this.#s.log.warn(context, `publisher ${next}`);
    this.#s.events.emit('stateChanged', next);
  }

  stats(): PublisherStats {
    const { window: w, buffer: b } = this.#s;
    const requests = this.#s.requests.stats();
    return {
      inFlight: w.size,
      maxInFlightSeen: w.maxSeen,
      buffered: b.length,
      bufferedBytes: b.bytes,
      held: this.#s.depth?.held ?? 0,
      ...this.#s.counts,
      ...(requests === undefined ? {} : { requests }),
    };
  }
}
