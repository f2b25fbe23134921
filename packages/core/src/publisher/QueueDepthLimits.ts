import { DownstreamFullError } from '../errors/publishErrors.js';
import { BUFFERED, type PendingPublish, type UnsettledCount } from './PendingPublish.js';
import { PublishBuffer } from './PublishBuffer.js';

/** One destination queue's mark, checked (resolvePublisherOptions). */
export interface QueueLimit {
  readonly maxReady: number;
  readonly policy: 'wait' | 'fail-fast';
  readonly sampleEveryMs: number;
}

export const DEFAULT_SAMPLE_EVERY_MS = 250;

/** What the broker says of a queue: its ready messages, or that there is no such queue. */
export type DepthAnswer = number | 'absent';

/** One limited queue as /health and the `downstream` event show it. */
export interface QueueDepthView {
  queue: string;
  maxReady: number;
  policy: 'wait' | 'fail-fast';
  /** At or over its mark by the publisher's estimate: new publishes to it wait or fail. */
  full: boolean;
  /** Ready messages at the last answer (undefined: never answered). */
  ready: number | undefined;
  /** The mark in force: maxReady, or lower while the queue's own limit (reject-publish) is known to be lower. */
  mark: number;
  held: number;
  /** Publishes let through to the queue, in all. */
  sent: number;
  /** Publishes the queue itself refused (basic.nack). */
  refusals: number;
  sampledAgoMs: number | undefined;
}

export interface QueueDepthHooks {
  /** Asks the broker for a queue's ready messages (a passive declare); rejects when it cannot tell. */
  probe(queue: string): Promise<DepthAnswer>;
  /** Whether one more publish of `bytes` may be held: the publisher's buffer bounds count held publishes too. */
  hasRoom(bytes: number): boolean;
  /** A held publish may go now: the publisher writes or buffers it. */
  release(entry: PendingPublish): void;
  /** After the releases of one answer. */
  released(): void;
  /** Settles a publish that will not be sent. */
  refuse(entry: PendingPublish, error: Error): void;
  /** The queue went over its mark or back under it; `notable` when it is worth a log line (see #setFull). */
  changed(view: QueueDepthView, notable: boolean): void;
  /** The broker did not answer an ask; `inARow` counts failures since the last answer. */
  unanswered?(queue: string, error: unknown, inARow: number): void;
  now?: () => number;
}

/** A hold shorter than this is the ordinary sawtooth of a queue at its mark, not news. */
const NOTABLE_HOLD_MS = 1000;
/** At most one "over its mark" log line per queue this often. */
const FULL_LOG_EVERY_MS = 10_000;

/** The state of one limited queue. */
class LimitedQueue implements UnsettledCount {
  /** Ready messages at the last answer. */
  ready: number | undefined;
  /**
   * What the last answer may not include, counted as in the queue: publishes let through and not
   * yet confirmed when it was asked (the broker may not have them yet), and those let through since.
   */
  admitted = 0;
  /** Let through and not yet settled (PendingPublish.countedBy). */
  unsettled = 0;
  /** `unsettled` when the ask in flight was sent. */
  carried = 0;
  /** Let through since the ask in flight. */
  admittedSinceAsk = 0;
  asking = false;
  askedAt = Number.NEGATIVE_INFINITY;
  answeredAt: number | undefined;
  /** The queue refused a publish since the last answer: nothing goes until the next. */
  refused = false;
  /** Where the queue's own limit (x-max-length, reject-publish) was found, when below maxReady. */
  brokerMark: number | undefined;
  full = false;
  fullSince = 0;
  fullLoggedAt = Number.NEGATIVE_INFINITY;
  sent = 0;
  refusals = 0;
  unansweredInARow = 0;
  readonly held = new PublishBuffer<PendingPublish>(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);

  constructor(
    readonly name: string,
    readonly limit: QueueLimit,
  ) {}

  get mark(): number {
    return this.brokerMark === undefined ? this.limit.maxReady : Math.min(this.brokerMark, this.limit.maxReady);
  }

  /**
   * Publishes that may go before the next answer. The estimate (the last answer plus `admitted`)
   * leaves consumption out and may count a message twice (in the answer and still unconfirmed):
   * it errs high (holds a little early, until the next answer), never low.
   */
  room(): number {
    if (this.ready === undefined || this.refused) return 0;
    return this.mark - (this.ready + this.admitted);
  }

  admit(entry: PendingPublish): void {
    this.admitted++;
    this.admittedSinceAsk++;
    this.sent++;
    this.unsettled++;
    entry.countedBy = this;
  }

  fullError(message: string, by: 'limit' | 'broker'): DownstreamFullError {
    return new DownstreamFullError(`queue "${this.name}" ${message}`, { queue: this.name, by, ready: this.ready });
  }
}

/**
 * The publisher's marks on destination queues (`limits`): while a queue has `maxReady` ready
 * messages or more, publishes to it wait here ('wait', up to their deadline) or fail at once
 * ('fail-fast') with DownstreamFullError, and publishes to other queues go on: each queue holds
 * its own publishes, never the publisher's pump.
 *
 * The depth is asked of the broker (a passive declare) at most once per `sampleEveryMs` and never
 * twice at once per queue, only while publishes arrive or wait, and shared by all of them. What
 * an answer may not include is counted on top of it (publishes let through and unconfirmed when it
 * was asked: a confirmed message is in the queue before its confirm leaves the broker; and those
 * let through since), so a burst cannot overshoot: fed by one publisher, the queue never holds
 * more than maxReady ready messages. Several publishers each see the same room: up to one mark's
 * worth each between answers. As the estimate leaves consumption out, at most a mark's worth goes
 * per `sampleEveryMs` (4,000/s for 1,000 per 250 ms): size the two together.
 *
 * The queue's own refusals (basic.nack from x-overflow reject-publish) stop publishes to it until
 * the next answer, whose depth becomes a mark learned from the broker (while below maxReady),
 * raised by a tenth (at least 1) at each answer that finds publishes held by it, until the next
 * refusal cuts it again, the way a TCP sender probes for a link's capacity. So a 'wait' publisher
 * settles just under the broker's limit instead of being refused again and again.
 */
export class QueueDepthLimits {
  readonly #queues = new Map<string, LimitedQueue>();
  readonly #hooks: QueueDepthHooks;
  readonly #now: () => number;
  #held = 0;
  #heldBytes = 0;
  #stopped = false;

  constructor(limits: ReadonlyMap<string, QueueLimit>, hooks: QueueDepthHooks) {
    for (const [name, limit] of limits) this.#queues.set(name, new LimitedQueue(name, limit));
    this.#hooks = hooks;
    this.#now = hooks.now ?? Date.now;
  }

  /** Publishes held, over all queues. */
  get held(): number {
    return this.#held;
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Whether sweep() has work: publishes held, or a refusal not yet followed by an answer (it asks again). */
  get needsSweep(): boolean {
    if (this.#held > 0) return true;
    for (const q of this.#queues.values()) if (q.refused) return true;
    return false;
  }

  /**
   * Whether a publish straight to a queue (its routing key) may be written now. False: the limits
   * took it, holding it or refusing it with DownstreamFullError. A queue without a limit: true.
   */
  admit(entry: PendingPublish): boolean {
    const q = this.#queues.get(entry.routingKey);
    if (q === undefined) return true;
    const now = this.#now();
    this.#askIfDue(q, now);
    // Behind held publishes even when there is room: a queue's publishes keep their order.
    if (q.held.length === 0 && q.room() > 0) {
      q.admit(entry);
      return true;
    }
    // Before the first answer nothing is known: waiting for it is not "full".
    if (q.ready !== undefined) this.#setFull(q, true, now);
    if (q.limit.policy === 'fail-fast' && q.ready !== undefined) {
      const error = q.refused
        ? q.fullError('refused a publish just now (reject-publish); trying again after the next sample', 'broker')
        : q.fullError(`is at its mark (${q.ready} ready at the last sample, mark ${q.mark})`, 'limit');
      this.#hooks.refuse(entry, error);
    } else if (!this.#hooks.hasRoom(entry.bytes)) {
      this.#hooks.refuse(entry, q.fullError(`is at its mark and the publish buffer is full (${this.#held} held)`, 'limit'));
    } else {
      this.#hold(q, entry, false);
    }
    return false;
  }

  /**
   * The broker refused a publish straight to a queue (basic.nack). True: taken again, to wait for
   * room ('wait': the message is not in the queue, and its caller asked to wait); false: the
   * caller settles it with DownstreamFullError.
   */
  refused(entry: PendingPublish): boolean {
    const q = this.#queues.get(entry.routingKey);
    if (q === undefined) return false;
    const now = this.#now();
    q.refusals++;
    q.refused = true;
    if (entry.countedBy === q) {
      q.unsettled--;
      entry.countedBy = undefined;
    }
    this.#setFull(q, true, now);
    this.#askIfDue(q, now);
    if (q.limit.policy === 'fail-fast' || this.#stopped) return false;
    entry.phase = BUFFERED;
    // A write the broker answered proved harmless: it does not count toward the re-send limit after a channel loss.
    entry.sends--;
    // First in line again (the order among several refused at once is not kept). Past the buffer
    // bounds if need be, by at most the in-flight window: it was accepted once and is never dropped.
    this.#hold(q, entry, true);
    return true;
  }

  /** Fails held publishes past their deadline, and asks again for queues that hold publishes. Called by the publisher's sweep. */
  sweep(now: number): void {
    for (const q of this.#queues.values()) {
      if (q.held.length > 0) {
        q.held.removeWhere(
          (entry) => entry.deadline <= now,
          (entry) => {
            this.#unheld(entry);
            const why = q.refused || q.brokerMark !== undefined ? 'the queue kept refusing publishes' : `mark ${q.mark}`;
            this.#hooks.refuse(
              entry,
              entry.abortedBy ?? q.fullError(`stayed full until this publish's deadline (${why}); never written`, 'limit'),
            );
          },
        );
      }
      if (q.held.length > 0 || q.refused) this.#askIfDue(q, now);
    }
  }

  /** Every held publish, for close() to settle; no more asks. */
  takeAll(): PendingPublish[] {
    this.#stopped = true;
    const all: PendingPublish[] = [];
    for (const q of this.#queues.values()) all.push(...q.held.takeAll());
    this.#held = 0;
    this.#heldBytes = 0;
    return all;
  }

  describe(): QueueDepthView[] {
    const now = this.#now();
    return [...this.#queues.values()].map((q) => this.#view(q, now));
  }

  #hold(q: LimitedQueue, entry: PendingPublish, first: boolean): void {
    if (first) q.held.unshift(entry);
    else q.held.push(entry);
    this.#held++;
    this.#heldBytes += entry.bytes;
  }

  #unheld(entry: PendingPublish): void {
    this.#held--;
    this.#heldBytes -= entry.bytes;
  }

  #askIfDue(q: LimitedQueue, now: number): void {
    if (q.asking || this.#stopped || now - q.askedAt < q.limit.sampleEveryMs) return;
    q.asking = true;
    q.askedAt = now;
    q.carried = q.unsettled;
    q.admittedSinceAsk = 0;
    this.#hooks.probe(q.name).then(
      (answer) => this.#answered(q, answer),
      (error: unknown) => {
        // Connection down, channel closing, no answer in time: keep the last estimate; the sweep asks again.
        q.asking = false;
        this.#hooks.unanswered?.(q.name, error, ++q.unansweredInARow);
      },
    );
  }

  #answered(q: LimitedQueue, answer: DepthAnswer): void {
    q.asking = false;
    q.unansweredInARow = 0;
    if (this.#stopped) return;
    const now = this.#now();
    const ready = answer === 'absent' ? 0 : answer;
    if (q.refused) {
      // Refused at about this depth (lower if a consumer drained it meanwhile: the raise below mends that).
      q.refused = false;
      q.brokerMark = ready < q.limit.maxReady ? Math.max(1, ready) : undefined;
    } else if (q.brokerMark !== undefined && q.full) {
      // Held by a mark learned from a refusal, which may have come low (a consumer drained the
      // queue before the answer): raise it until refused again.
      q.brokerMark += Math.max(1, Math.ceil(q.brokerMark / 10));
      if (q.brokerMark >= q.limit.maxReady) q.brokerMark = undefined;
    }
    q.ready = ready;
    q.admitted = q.carried + q.admittedSinceAsk;
    q.answeredAt = now;
    let released = 0;
    while (q.held.length > 0 && q.room() > 0) {
      const entry = q.held.shift() as PendingPublish;
      this.#unheld(entry);
      q.admit(entry);
      this.#hooks.release(entry);
      released++;
    }
    // 'fail-fast' publishes waited only for a first answer.
    if (q.limit.policy === 'fail-fast') {
      for (const entry of q.held.takeAll()) {
        this.#unheld(entry);
        this.#hooks.refuse(entry, q.fullError(`is at its mark (${ready} ready, mark ${q.mark})`, 'limit'));
      }
    }
    if (released > 0) this.#hooks.released();
    this.#setFull(q, q.held.length > 0 || q.room() <= 0, now);
  }

  /** Reports transitions; worth a log line: the first "full" in FULL_LOG_EVERY_MS, and the end of a hold of NOTABLE_HOLD_MS or more. */
  #setFull(q: LimitedQueue, full: boolean, now: number): void {
    if (q.full === full) return;
    q.full = full;
    let notable: boolean;
    if (full) {
      q.fullSince = now;
      notable = now - q.fullLoggedAt >= FULL_LOG_EVERY_MS;
      if (notable) q.fullLoggedAt = now;
    } else {
      notable = now - q.fullSince >= NOTABLE_HOLD_MS;
    }
    this.#hooks.changed(this.#view(q, now), notable);
  }

  #view(q: LimitedQueue, now: number): QueueDepthView {
    return {
      queue: q.name,
      maxReady: q.limit.maxReady,
      policy: q.limit.policy,
      full: q.full,
      ready: q.ready,
      mark: q.mark,
      held: q.held.length,
      sent: q.sent,
      refusals: q.refusals,
      sampledAgoMs: q.answeredAt === undefined ? undefined : now - q.answeredAt,
    };
  }
}
