import type { QueueDepthView } from './QueueDepthLimits.js';

import type { RequestCounts } from './RequestClient.js';
/** What a publisher shows the outside: its state, its events and its stats. */

export type PublisherState = 'ready' | 'blocked' | 'reconnecting' | 'closed';

export type PublisherEvents = {
  /** The broker blocked the publishing connection (memory or disk alarm). */
  blocked: [reason: string];
  unblocked: [];
  stateChanged: [state: PublisherState];
  /** The confirm channel closed with `unconfirmed` messages outstanding; `resent` of them go out again. */
  channelClosed: [error: Error | undefined, unconfirmed: number, resent: number];
  /** A queue with a `limits` mark went over it (publishes to it wait or fail) or back under it. */
  downstream: [view: QueueDepthView];
};

export interface PublisherStats {
  /** Written, not yet confirmed (including ones whose caller already got a timeout). */
  inFlight: number;
  maxInFlightSeen: number;
  buffered: number;
  bufferedBytes: number;
  /** Publishes waiting for room in a queue over its `limits` mark (also within maxBufferedMessages / Bytes). */
  held: number;
  /** Writes to the channel, re-sends included. */
  published: number;
  confirmed: number;
  nacked: number;
  returned: number;
  /** Rejected with PublishUnconfirmedError: written, fate unknown. */
  unconfirmed: number;
  /** Rejected with PublishTimeoutError, written or not. */
  timedOut: number;
  /** Of timedOut, those already written (fate unknown: they may still reach the queue). */
  timedOutWritten: number;
  /** Rejected with BrokerBlockedError (fail-fast, or buffer full). */
  rejectedBlocked: number;
  /** Rejected with DownstreamFullError: held past the deadline, refused at a mark ('fail-fast'), or refused by the queue. */
  downstreamFull: number;
  /** basic.nack of publishes straight to a queue (reject-publish); those that wait are held again, not rejected. */
  refusedByQueue: number;
  /** Unconfirmed messages written again on a fresh channel. */
  republished: number;
  /** Rejected by close(): never written, or written and not confirmed within its grace period. */
  abandonedAtClose: number;
  /** Replies to direct reply-to written unconfirmed (Publisher.reply); not in `published`. */
  directReplies: number;
  /** Request/reply, once `request()` was used: outcomes so far, and requests waiting for a reply. */
  requests?: RequestCounts & { pending: number };
}

/** What the app's metrics are told as it happens (see Publisher.observe). */
export interface PublisherObserver {
  /** A publish was confirmed (basic.ack), `ms` after it was written. */
  confirmed?(ms: number): void;
  /** A request was answered (a reply or a RemoteError), `ms` after it was made. */
  answered?(ms: number, ok: boolean): void;
}
