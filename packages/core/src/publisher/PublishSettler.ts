import {
  DownstreamFullError,
  PublisherClosedError,
  PublishNackedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from '../errors/publishErrors.js';
import type { TopologyError } from '../errors/WarrenError.js';
import type { ReturnedMessage } from './ConfirmChannelSession.js';
import { type PendingPublish, SETTLED, settle, WRITTEN } from './PendingPublish.js';
import type { PublisherState, PublisherStats } from './PublisherEvents.js';

/** The counters of PublisherStats; the publisher counts its writes and refusals here too. */
export type PublishCounts = Omit<PublisherStats, 'inFlight' | 'maxInFlightSeen' | 'buffered' | 'bufferedBytes' | 'held'>;

/**
 * Every way an accepted publish settles, in one place: each marks the entry SETTLED, counts it,
 * and resolves or rejects it with the error its fate calls for. A written message that timed out
 * keeps its window slot until the broker answers, so a confirm may find it settled: it is skipped.
 */
export class PublishSettler {
  readonly counts: PublishCounts = {
    published: 0,
    confirmed: 0,
    nacked: 0,
    returned: 0,
    unconfirmed: 0,
    timedOut: 0,
    timedOutWritten: 0,
    rejectedBlocked: 0,
    downstreamFull: 0,
    refusedByQueue: 0,
    republished: 0,
    abandonedAtClose: 0,
    directReplies: 0,
  };
  /** Named in timeout messages: why it may not have been written or confirmed. */
  readonly #state: () => PublisherState;
  /** Told each confirm's latency in ms (write to basic.ack) while set; writes are timed only then. */
  confirmLatency: ((ms: number) => void) | undefined;

  constructor(state: () => PublisherState) {
    this.#state = state;
  }

  /** basic.ack (bound once, handed to ConfirmWindow.confirm): resolves, unless a basic.return came first. */
  readonly ack = (entry: PendingPublish): void => {
    if (entry.phase !== WRITTEN) return; // already timed out: the caller was told
    settle(entry);
    if (entry.returned !== undefined) {
      this.counts.returned++;
      entry.reject(entry.returned);
    } else {
      this.counts.confirmed++;
      if (this.confirmLatency !== undefined && entry.writtenAt > 0) this.confirmLatency(performance.now() - entry.writtenAt);
      entry.resolve();
    }
  };

  /**
   * basic.nack. Straight to a queue (the default exchange), only that queue can have refused it:
   * full with reject-publish (or failing), and the message is not in it: DownstreamFullError.
   * Through an exchange, other queues may have taken it: PublishNackedError.
   */
  readonly nack = (entry: PendingPublish): void => {
    if (entry.phase !== WRITTEN) return;
    if (entry.exchange === '') {
      this.full(
        entry,
        new DownstreamFullError(`queue "${entry.routingKey}" refused the message (basic.nack): it is full (x-overflow reject-publish)`, {
          queue: entry.routingKey,
          by: 'broker',
        }),
      );
      return;
    }
    settle(entry);
    this.counts.nacked++;
    const target = `exchange '${entry.exchange}' with routing key '${entry.routingKey}'`;
    entry.reject(new PublishNackedError(`broker refused the message (basic.nack) published to ${target}`));
  };

  /** Past its deadline (bound once, handed to the DeadlineSweeper); `written`: it may still reach the queue. */
  readonly expire = (entry: PendingPublish, written: boolean): void => {
    settle(entry);
    this.counts.timedOut++;
    const state = this.#state();
    if (!written) {
      const aborted = entry.abortedBy;
      entry.reject(
        aborted ?? new PublishTimeoutError(`publish not written within its deadline (publisher ${state}); the broker never saw it`, false),
      );
      return;
    }
    this.counts.timedOutWritten++;
    const message = `no confirm within the deadline (publisher ${state}); the message was written and may still reach the queue`;
    entry.reject(new PublishTimeoutError(message, true));
  };

  /**
   * basic.return comes before the ack of the same message: remember it on its entry, and reject on
   * the ack. Copies of one message (retries, dead letters, fan-out) share its messageId: the target
   * is matched too, so a return is never pinned on a copy that went elsewhere.
   */
  returned(inFlight: Iterable<PendingPublish>, r: ReturnedMessage): void {
    for (const entry of inFlight) {
      const p = entry.properties;
      if (entry.returned !== undefined || p.mandatory !== true || p.messageId !== r.messageId) continue;
      if (entry.exchange !== r.exchange || entry.routingKey !== r.routingKey) continue;
      const what = `message ${String(r.messageId)} to exchange '${r.exchange}' with routing key '${r.routingKey}'`;
      entry.returned = new UnroutableError(`${what} was unroutable (${r.replyCode} ${r.replyText})`, r.replyCode, r.replyText);
      return;
    }
  }

  /** The destination queue is full: refused by the queue, or by the publisher's `limits`. */
  /** Refused or given up at a queue's mark (or aborted by its signal while held there). */
  full(entry: PendingPublish, error: Error): void {
    settle(entry);
    if (error instanceof DownstreamFullError) this.counts.downstreamFull++;
    entry.reject(error);
  }

  /** Lost with its channel, with the error fateOnChannelLoss chose. */
  lost(entry: PendingPublish, error: TopologyError | PublishUnconfirmedError): void {
    settle(entry);
    if (error instanceof PublishUnconfirmedError) this.counts.unconfirmed++;
    entry.reject(error);
  }

  /** Refused at write time, unwritten (its headers outgrew this connection's frame_max, or it cannot be encoded). */
  fail(entry: PendingPublish, error: Error): void {
    settle(entry);
    entry.reject(error);
  }

  /** close() gives up on it: never written, or written and still unconfirmed after the grace period. */
  abandon(entry: PendingPublish): void {
    if (entry.phase === SETTLED) return;
    const written = entry.phase === WRITTEN;
    settle(entry);
    this.counts.abandonedAtClose++;
    if (!written) {
      entry.reject(new PublisherClosedError('publisher closed before this message was written'));
      return;
    }
    this.counts.unconfirmed++;
    entry.reject(
      new PublishUnconfirmedError('publisher closed before the broker confirmed this message; it may or may not be in the queue'),
    );
  }
}
