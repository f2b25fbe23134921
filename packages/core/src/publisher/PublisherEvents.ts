/** What a publisher shows the outside: its state, its events and its stats. */

export type PublisherState = 'ready' | 'blocked' | 'reconnecting' | 'closed';

export type PublisherEvents = {
  /** The broker blocked the publishing connection (memory or disk alarm). */
  blocked: [reason: string];
  unblocked: [];
  stateChanged: [state: PublisherState];
  /** The confirm channel closed with `unconfirmed` messages outstanding; `resent` of them go out again. */
  channelClosed: [error: Error | undefined, unconfirmed: number, resent: number];
};

export interface PublisherStats {
  /** Written, not yet confirmed (including ones whose caller already got a timeout). */
  inFlight: number;
  maxInFlightSeen: number;
  buffered: number;
  bufferedBytes: number;
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
  /** Unconfirmed messages written again on a fresh channel. */
  republished: number;
  /** Rejected by close(): never written, or written and not confirmed within its grace period. */
  abandonedAtClose: number;
}
