import type { UnroutableError } from '../errors/publishErrors.js';

/** The message properties of one publish, as the confirm channel writes them (the fields of amqplib's Options.Publish that Warren sets). */
export interface PublishProperties {
  headers?: Record<string, unknown>;
  messageId?: string;
  timestamp?: number;
  contentType?: string;
  contentEncoding?: string;
  persistent?: boolean;
  mandatory?: boolean;
  expiration?: string;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  type?: string;
  appId?: string;
}

/** What a limited queue counts of the publishes it let through. */
export interface UnsettledCount {
  unsettled: number;
}

export const BUFFERED = 0;
export const WRITTEN = 1;
export const SETTLED = 2;
export type Phase = typeof BUFFERED | typeof WRITTEN | typeof SETTLED;

const unset = (): void => undefined;

/** One publish from accept to settle. A class, so every entry has the same shape on the hot path. */
export class PendingPublish {
  phase: Phase = BUFFERED;
  /** Times written to a channel: re-sends stop at MAX_SENDS. */
  sends = 0;
  /** performance.now() at its last write, taken only while confirm latency is observed (metrics). */
  writtenAt = 0;
  returned: UnroutableError | undefined = undefined;
  /** A limited queue's count of publishes let through and not yet settled, while it counts this one (QueueDepthLimits). */
  countedBy: UnsettledCount | undefined = undefined;
  /** Its promise's, set by publish(); settle each entry once, after setting `phase` to SETTLED. */
  resolve: () => void = unset;
  reject: (error: Error) => void = unset;
  /** Set when its signal aborted before it was written: what it rejects with. */
  abortedBy: Error | undefined = undefined;
  /** Removes its listener from the caller's signal, once settled. */
  unlisten: (() => void) | undefined = undefined;
  readonly bytes: number;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly content: Buffer,
    readonly properties: PublishProperties,
    /** When it gives up; 0 once its signal aborted (the 50 ms sweep then settles it, unwritten). */
    public deadline: number,
    /** Size of its content header frame when it has headers (else 0: without them it fits any frame_max). */
    readonly headerFrameBytes: number,
  ) {
    this.bytes = content.length;
  }
}

/** Marks an entry settled (its promise is the caller's to settle next), and leaves its queue's count. */
export function settle(entry: PendingPublish): void {
  entry.phase = SETTLED;
  if (entry.unlisten !== undefined) {
    entry.unlisten();
    entry.unlisten = undefined;
  }
  const count = entry.countedBy;
  if (count !== undefined) {
    count.unsettled--;
    entry.countedBy = undefined;
  }
}

let binding: PendingPublish | undefined;

function bind(resolve: () => void, reject: (error: Error) => void): void {
  const entry = binding as PendingPublish;
  entry.resolve = resolve;
  entry.reject = reject;
}

/** A promise settled through `entry.resolve` / `entry.reject`: one shared executor, no closure per publish. */
export function promiseOf(entry: PendingPublish): Promise<void> {
  binding = entry;
  try {
    return new Promise<void>(bind);
  } finally {
    binding = undefined;
  }
}
