import { InvalidPublishError, PublishTimeoutError, UnroutableError } from '../errors/publishErrors.js';
import { TopologyError } from '../errors/WarrenError.js';
import type { WarrenEvents } from '../events/events.js';
import type { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import { scrubSecrets } from '../logging/scrubSecrets.js';
import { DELIVERY_COUNT, HEADER, intHeader, truncate } from '../message/headers.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { deadLetterQueueName, retryQueueName } from '../topology/names.js';
import { retryQueueDelay } from '../topology/retryLadder.js';
import type { ConsumerChannel } from './ConsumerChannel.js';
import { CopySender } from './CopySender.js';
import type { CopyPublishOptions } from './copies.js';
import type { Delivery } from './Delivery.js';
import type { InFlight } from './InFlight.js';
import { type InterruptedDeliveries, identityOf } from './InterruptedDeliveries.js';
import { type DeadLetterReason, describeFailure, type Outcome } from './outcome.js';
import type { Republisher } from './Republisher.js';
import { sleepUnlessStopping } from './wait.js';

export interface SettleCounts {
  acked: number;
  retried: number;
  deadLettered: number;
  requeued: number;
  /** Dead-lettered with deadLetter: false: dropped (and logged). */
  dropped: number;
  /** Redeliveries turned into counted attempts (republished with attempt + 1). */
  redeliveriesCounted: number;
  /** Settles that could not reach the broker: their channel was gone. The broker redelivers them. */
  unsettleable: number;
}

export interface SettlerDeps {
  options: ResolvedConsumerOptions;
  channel: ConsumerChannel;
  republisher: Republisher;
  inFlight: InFlight;
  interrupted: InterruptedDeliveries;
  events: TypedEvents<WarrenEvents>;
  log: Logger;
  /** Aborts when the consumer stops: holds are cut short so messages go back while the channel is open. */
  stopSignal: AbortSignal;
}

const REQUEUE: Outcome = { action: 'requeue' };

/**
 * Carries out what happens to a delivery: ack, retry (a copy to a delay queue, confirmed, then
 * ack), dead-letter (a copy to the DLQ, confirmed, then ack), put back (a copy with its counts),
 * or a counted redelivery. The one place a delivery is marked settled and counted; "confirm,
 * then ack" everywhere, so a crash gives a duplicate, never a loss.
 */
export class Settler {
  readonly counts: SettleCounts = {
    acked: 0,
    retried: 0,
    deadLettered: 0,
    requeued: 0,
    dropped: 0,
    redeliveriesCounted: 0,
    unsettleable: 0,
  };
  readonly #d: SettlerDeps;
  readonly #copies: CopySender;

  constructor(deps: SettlerDeps) {
    this.#d = deps;
    this.#copies = new CopySender(deps);
  }

  /** Every retry queue declared so far: declared again with the topology on every reopen. */
  get declaredDelays(): Iterable<number> {
    return this.#copies.declaredDelays;
  }

  /** True when the delivery's channel is gone: its tag is void, and the broker has requeued it. */
  isStale(delivery: Delivery): boolean {
    return !this.#d.channel.isLive(delivery.channelGeneration);
  }

  /**
   * Carries out an outcome. The one place a delivery is settled; a second call is refused. A plain
   * ack, the common case, is carried out at once and returns undefined: no promise for the caller
   * to make and await (two of the nine a consumed message cost before, counted with an init hook).
   * Anything else returns the promise of its copies and confirms.
   */
  settle(delivery: Delivery, outcome: Outcome, error: unknown): Promise<void> | undefined {
    if (outcome.action !== 'ack' || delivery.settled) return this.#settle(delivery, outcome, error);
    delivery.settled = true;
    let onBroker = false;
    try {
      if (this.isStale(delivery)) this.counts.unsettleable++;
      else {
        onBroker = this.#brokerSettle(delivery, 'ack');
        if (onBroker) this.counts.acked++;
      }
    } catch (bug) {
      return this.#afterBug(delivery, outcome, bug);
    }
    this.#finished(delivery, outcome, onBroker);
    return undefined;
  }

  async #settle(delivery: Delivery, outcome: Outcome, error: unknown): Promise<void> {
    if (delivery.settled) {
      this.#d.log.error({ messageId: delivery.messageId }, 'bug: second settle of one delivery refused');
      return;
    }
    delivery.settled = true;
    let onBroker = false;
    try {
      // Its channel is gone and the broker has requeued it: a copy now would only duplicate the redelivery.
      if (this.isStale(delivery)) this.counts.unsettleable++;
      else {
        // A plain ack never comes here: settle() carries it out.
        switch (outcome.action) {
          case 'requeue':
            // A stopping single active consumer leaves it to its channel's close, which returns it in order (ConsumerRuntime.stop).
            if (this.#d.options.singleActiveConsumer && this.#d.stopSignal.aborted) {
              onBroker = true;
              this.counts.requeued++;
              break;
            }
            // Not the message's fault: a plain requeue would come back flagged as redelivered and
            // be counted against it. Put back a copy with its counts.
            onBroker = await this.#putBack(delivery);
            if (onBroker) this.counts.requeued++;
            break;
          case 'retry':
            onBroker = await this.#retry(delivery, outcome.delayMs, error);
            break;
          case 'dead-letter':
            onBroker = await this.#deadLetter(delivery, outcome.reason, error);
            break;
        }
      }
    } catch (bug) {
      await this.#afterBug(delivery, outcome, bug);
      return;
    }
    this.#finished(delivery, outcome, onBroker);
  }

  /**
   * Settling threw (a bug). It must still reach the broker: a delivery left unacked holds its
   * prefetch slot until the broker's consumer_timeout closes the whole channel.
   */
  async #afterBug(delivery: Delivery, outcome: Outcome, bug: unknown): Promise<void> {
    let onBroker = false;
    try {
      this.#d.log.error({ messageId: delivery.messageId, err: describeFailure(bug).message }, 'bug: settling failed; requeueing');
      await sleepUnlessStopping(1000, this.#d.stopSignal);
      delivery.carriedOut = REQUEUE;
      onBroker = this.#brokerSettle(delivery, 'requeue');
    } finally {
      this.#finished(delivery, outcome, onBroker);
    }
  }

  /** A settle is over: told (when anyone listens), and out of flight. */
  #finished(delivery: Delivery, outcome: Outcome, onBroker: boolean): void {
    const events = this.#d.events;
    // Heard only with metrics or a debug log on: otherwise nobody listens, and emitting costs a
    // rest-argument array and a Date.now() per message for nothing.
    if (events.listenerCount('settled') > 0) {
      const { name } = this.#d.options;
      events.emit('settled', name, delivery.carriedOut ?? outcome, Date.now() - delivery.receivedAt, onBroker, delivery.messageId);
    }
    this.#d.inFlight.finish(delivery);
  }

  /** Drops a stale delivery without acting on it: copying it now would only duplicate the redelivery. */
  forget(delivery: Delivery): void {
    delivery.settled = true;
    this.counts.unsettleable++;
    this.#d.inFlight.finish(delivery);
  }

  /** Returns a delivery that never started to the queue as it was (not counted as an attempt). */
  async handBack(delivery: Delivery): Promise<void> {
    if (this.isStale(delivery)) {
      this.forget(delivery);
      return;
    }
    delivery.settled = true;
    await this.#putBack(delivery);
    this.#d.inFlight.finish(delivery);
  }

  /**
   * A classic queue only flags a redelivery, it does not count them; so a message that kills
   * the process would loop forever. Warren counts it: the redelivered message is republished
   * with its attempt + 1 (confirmed), then acked, before any handler runs. Confirm, then ack,
   * without exception: when the copy's fate is unknown the original goes back to the queue (a
   * duplicate is possible, a loss is not). `runUncounted` handles it as it is when the copy
   * could not even be written (publishing blocked).
   */
  async countRedelivery(delivery: Delivery, redeliveries: number, runUncounted: (d: Delivery) => Promise<void>): Promise<void> {
    if (this.isStale(delivery)) {
      this.forget(delivery);
      return;
    }
    // Unsettled until the original is acked: isolation waits for it before running a suspect.
    try {
      const counted = { [HEADER.attempt]: delivery.attempt, [HEADER.redeliveries]: redeliveries };
      await this.#copies.send(this.#d.options.queue, delivery, counted, { timeoutMs: 5000 }, true);
    } catch (error) {
      if (error instanceof PublishTimeoutError && !error.written) {
        // Publishing is blocked and the copy was never written: handle this one uncounted rather
        // than hold the window (a message that kills the worker goes uncounted only as long as
        // publishing is blocked).
        this.#d.log.warn({ messageId: delivery.messageId }, 'could not count a redelivery (publishing is blocked); handling it uncounted');
        await runUncounted(delivery);
        return;
      }
      delivery.settled = true;
      if (error instanceof InvalidPublishError) {
        // Not even a trimmed copy can be sent: it cannot be counted, so it must not run (a
        // message that kills the worker would loop for ever). Dead-lettered as it is.
        this.#d.log.error(
          { messageId: delivery.messageId, err: error.message },
          'a redelivered message cannot be copied to count it; dead-lettering it as it is',
        );
        this.#dropToDeadLetterExchange(delivery);
      } else {
        // Refused, or fate unknown (written but unconfirmed, channel lost): the original goes back.
        this.#d.log.warn(
          { messageId: delivery.messageId, err: describeFailure(error).message },
          'could not confirm the counted copy of a redelivery; requeueing the original',
        );
        await sleepUnlessStopping(1000, this.#d.stopSignal);
        this.#brokerSettle(delivery, 'requeue', false);
      }
      this.#d.inFlight.finish(delivery);
      return;
    }
    this.counts.redeliveriesCounted++;
    delivery.settled = true;
    this.#brokerSettle(delivery, 'ack');
    this.#d.inFlight.finish(delivery);
  }

  /** Puts a copy at the back of the queue with the counts so far, then acks; falls back to a requeue. */
  async #putBack(delivery: Delivery): Promise<boolean> {
    try {
      // Keep what was counted so far: a quorum queue's own count does not follow a new copy.
      const h = delivery.amqpHeaders;
      const counted = {
        [HEADER.attempt]: delivery.attempt,
        // The broker's returns make the copy a suspect only if they made this delivery one (not a return this process caused).
        [HEADER.redeliveries]: (intHeader(h, HEADER.redeliveries) ?? 0) + (delivery.suspect ? (intHeader(h, DELIVERY_COUNT) ?? 0) : 0),
      };
      // Short: at shutdown the channel closes soon after; a slow copy falls back to a requeue.
      await this.#copies.send(this.#d.options.queue, delivery, counted, { timeoutMs: 1000 }, true);
      return this.#brokerSettle(delivery, 'ack');
    } catch {
      return this.#brokerSettle(delivery, 'requeue');
    }
  }

  /**
   * ack / nack on the delivery's own channel, only if that channel is still the live one. A
   * requeue Warren chose is remembered as innocent unless told otherwise: when it comes back
   * flagged as redelivered, it costs no attempt.
   */
  #brokerSettle(delivery: Delivery, how: 'ack' | 'requeue' | 'drop', innocent = true): boolean {
    if (how === 'requeue' && innocent && !this.isStale(delivery)) {
      this.#d.interrupted.remember(identityOf(delivery.message), 'not-started');
    }
    const ok = this.#d.channel.settle(delivery.message, delivery.channelGeneration, how);
    if (!ok) this.counts.unsettleable++;
    return ok;
  }

  /** nack without requeue: the queue's own dead-letter exchange takes it as it is (or drops it, with deadLetter: false). */
  #dropToDeadLetterExchange(delivery: Delivery): boolean {
    delivery.carriedOut = { action: 'dead-letter', reason: 'rejected' };
    const ok = this.#brokerSettle(delivery, 'drop');
    if (ok && this.#d.options.deadLetter) this.counts.deadLettered++;
    else if (ok) {
      this.counts.dropped++;
      this.#d.log.error({ messageId: delivery.messageId }, 'message dropped: it could not be copied and deadLetter is off');
    }
    return ok;
  }

  async #retry(delivery: Delivery, delayMs: number, error: unknown): Promise<boolean> {
    const { queue, retry } = this.#d.options;
    const failure = describeFailure(error);
    // One line per message: debug only (the retries are counted in the metrics and the stats).
    this.#d.log.debug(
      { messageId: delivery.messageId, attempt: delivery.attempt, delayMs, err: failure.message },
      'handler failed; retrying later',
    );
    const extra: Record<string, unknown> = {
      [HEADER.attempt]: delivery.attempt + 1,
      // The handler ran and returned an error: whatever killed a worker before, it was not this.
      [HEADER.redeliveries]: 0,
      [HEADER.error]: truncate(failure.name),
      [HEADER.errorMessage]: truncate(scrubSecrets(failure.message)),
    };
    const publish: CopyPublishOptions = {};
    const isRequest = delivery.properties.replyTo !== undefined;
    let target = queue;
    try {
      if (delayMs > 0) {
        // A configured delay has its own queue; any other (a handler's RetryLater) waits in the
        // next queue of a bounded ladder, with its own TTL, so there is never a queue per delay.
        const queueDelay = retryQueueDelay(delayMs, retry.delaysMs);
        target = retryQueueName(queue, queueDelay);
        await this.#copies.ensureRetryQueue(queueDelay);
        // Jitter only shortens a wait (per-message TTL below the queue's), so the queue's head
        // never holds back a message behind it for longer than the queue's own delay.
        let wait = retry.jitter > 0 ? Math.max(1, Math.round(delayMs * (1 - retry.jitter * Math.random()))) : delayMs;
        // A request's retry keeps its caller's deadline: it leaves the delay queue by then at the
        // latest, and is dropped on arrival if that has passed (nobody waits for it any more).
        if (isRequest && delivery.messageDeadline !== undefined) wait = Math.max(1, Math.min(wait, delivery.messageDeadline - Date.now()));
        if (wait !== queueDelay) publish.expiration = String(wait);
      }
      await this.#copies.send(target, delivery, extra, publish, isRequest);
    } catch (publishError) {
      // Confirm first, then ack: without the confirm, the original goes back.
      return this.#couldNotCopy(delivery, publishError, `retry to ${target}`, delayMs);
    }
    this.counts.retried++;
    return this.#brokerSettle(delivery, 'ack');
  }

  async #deadLetter(delivery: Delivery, reason: DeadLetterReason, error: unknown): Promise<boolean> {
    const o = this.#d.options;
    const failure = describeFailure(error);
    this.#d.log.warn(
      { messageId: delivery.messageId, attempt: delivery.attempt, reason, err: failure.message, stack: stackOf(error) },
      'dead-lettering message',
    );
    if (!o.deadLetter) {
      const ok = this.#brokerSettle(delivery, 'drop');
      if (ok) this.counts.dropped++;
      return ok;
    }
    const headers: Record<string, unknown> = {
      [HEADER.reason]: reason,
      [HEADER.error]: truncate(failure.name),
      [HEADER.errorMessage]: truncate(scrubSecrets(failure.message)),
      [HEADER.attempt]: delivery.attempt,
      [HEADER.consumer]: o.name,
      [HEADER.queue]: o.queue,
      [HEADER.deadLetteredAt]: new Date().toISOString(),
    };
    if (failure.code !== undefined) headers[HEADER.errorCode] = truncate(failure.code);
    if (reason === 'decode' && (error as { reason?: unknown }).reason === 'schema')
      headers[HEADER.issues] = truncate(failure.message, 4000);
    try {
      await this.#copies.send(deadLetterQueueName(o.queue), delivery, headers, {}, false);
    } catch (publishError) {
      return this.#couldNotCopy(delivery, publishError, 'dead letter', 0);
    }
    const ok = this.#brokerSettle(delivery, 'ack');
    if (ok) this.counts.deadLettered++;
    return ok;
  }

  /**
   * A copy (retry, dead letter) could not be written. The original must not be lost, nor spin:
   * a copy that can never be written goes to the queue's own dead-letter route as it is; a
   * missing target queue gets the topology declared again (on a side channel, leaving this one
   * and its deliveries alone); otherwise the delivery keeps its prefetch slot for a while
   * (back-pressure, no hot loop) and then goes back to the queue.
   */
  async #couldNotCopy(delivery: Delivery, error: unknown, what: string, delayMs: number): Promise<boolean> {
    this.#d.log.warn({ messageId: delivery.messageId, err: describeFailure(error).message }, `could not publish the ${what}`);
    if (error instanceof InvalidPublishError) return this.#dropToDeadLetterExchange(delivery);
    if (error instanceof UnroutableError || error instanceof TopologyError) await this.#copies.redeclareTopology();
    // Stopping cuts the hold short, so the message goes back while the channel is still open.
    await sleepUnlessStopping(Math.min(Math.max(delayMs, 1000), 30_000), this.#d.stopSignal);
    delivery.carriedOut = REQUEUE;
    const back = this.#brokerSettle(delivery, 'requeue');
    if (back) this.counts.requeued++;
    return back;
  }
}

/** A thrown value's stack for the logs, if it has one that can be read. */
function stackOf(error: unknown): string | undefined {
  try {
    const stack = (error as { stack?: unknown } | null | undefined)?.stack;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined;
  }
}
