import type { Channel, ConsumeMessage } from 'amqplib';
import { backoffDelay, DEFAULT_BACKOFF } from '../connection/backoff.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { InvalidPublishError, PublishTimeoutError, UnroutableError } from '../errors/publishErrors.js';
import { ClosedError, TopologyError } from '../errors/WarrenError.js';
import type { ConsumerState, WarrenEvents } from '../events/events.js';
import type { Disposable, TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import { DELIVERY_COUNT, HEADER, intHeader, truncate } from '../message/headers.js';
import { ConcurrencyLimit } from '../middleware/concurrencyLimit.js';
import { Deadline } from '../middleware/deadline.js';
import { compose, type Middleware, type Next } from '../middleware/Middleware.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { assertRetryQueue, declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { deadLetterQueueName, retryQueueName } from '../topology/names.js';
import { retryQueueDelay } from '../topology/retryLadder.js';
import { type CopyPublishOptions, copyOptions } from './copies.js';
import { Delivery } from './Delivery.js';
import { decodeBody } from './decode.js';
import { InterruptedDeliveries, identityOf } from './InterruptedDeliveries.js';
import { type DeadLetterReason, decideOutcome, describeFailure, type Ending, type Outcome, SUCCEEDED } from './outcome.js';
import type { Republisher } from './Republisher.js';
import { classifyDelivery } from './redelivery.js';
import { validatePayload } from './validate.js';

/** What a consumer class must have: the app's `Worker` subclasses do. */
export interface MessageHandler {
  handle(payload: unknown, ctx: Delivery): Promise<void> | void;
}

export interface ConsumerStats {
  state: ConsumerState;
  received: number;
  inFlight: number;
  acked: number;
  retried: number;
  deadLettered: number;
  requeued: number;
  /** Dead-lettered with deadLetter: false: dropped (and logged). */
  dropped: number;
  /** Redeliveries turned into counted attempts (republished with attempt + 1). */
  redeliveriesCounted: number;
  /** Times suspects (messages in flight when a worker died) were run alone. */
  isolations: number;
  /** Settles that could not reach the broker: their channel was gone. The broker redelivers them. */
  unsettleable: number;
  /** Handlers that finished after their deadline; their results were discarded. */
  lateResults: number;
  /** Deliveries the last stop() could not settle (they went back to the queue with the channel). */
  leftUnsettledAtStop: number;
  /** Most handlers seen running at once. */
  maxConcurrent: number;
  channelOpens: number;
}

interface Deps {
  connection: ConnectionManager;
  republisher: Republisher;
  logger: Logger;
  events: TypedEvents<WarrenEvents>;
}

/** How long to wait for the broker to answer a cancel or a close before going on without it. */
const BROKER_REPLY_MS = 5000;

/** Waits for `promise` (ignoring its failure) at most `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Waits `ms`, or less if `signal` aborts; never keeps the process alive by itself. */
function sleepUnlessStopping(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
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

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

const CHANNEL_LOST = Object.assign(new Error('the channel of this delivery was lost; the broker delivers it again'), {
  code: 'WARREN_ERR_CLOSED',
});

const SHUTDOWN_ABORT = Object.assign(new Error('worker is shutting down'), { code: 'WARREN_ERR_CLOSED' });

/**
 * The consume loop of one consumer: its own channel, `basic.qos(prefetch)`, manual acks.
 *
 *   delivery -> count redelivery -> decode -> validate -> middleware -> handler -> settle once
 *
 * Back-pressure is the absence of settles: while handlers are busy their deliveries stay
 * unacked, the prefetch window stays full, and the broker sends nothing more.
 */
export class ConsumerRuntime {
  readonly options: ResolvedConsumerOptions;
  readonly #deps: Deps;
  readonly #handler: MessageHandler;
  readonly #log: Logger;
  readonly #limit: ConcurrencyLimit;
  readonly #deadline: Deadline;
  readonly #middleware: readonly Middleware[];
  readonly #pipeline: Next;
  readonly #inFlight = new Set<Delivery>();
  readonly #subscriptions: Disposable[] = [];
  readonly #stopSignal = new AbortController();
  readonly #declaredDelays = new Set<number>();
  readonly #interruptedIds: InterruptedDeliveries;
  #leftUnsettled = 0;
  #state: ConsumerState = 'idle';
  #channel: Channel | undefined;
  #channelGeneration = 0;
  #consumerTag: string | undefined;
  #subscribing: Promise<void> | undefined;
  #paused = false;
  #reopenAttempt = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  #reopening = false;
  #lastInterruption = '';
  #stopping: Promise<void> | undefined;
  #idle: (() => void) | undefined;
  #isolating = false;
  readonly #suspects: Delivery[] = [];
  readonly #held: Delivery[] = [];
  #drained: (() => void) | undefined;
  #lastDeliveryAt = 0;
  #consumingSince = 0;
  readonly #counts = {
    received: 0,
    acked: 0,
    retried: 0,
    deadLettered: 0,
    requeued: 0,
    dropped: 0,
    redeliveriesCounted: 0,
    isolations: 0,
    unsettleable: 0,
    channelOpens: 0,
  };

  constructor(options: ResolvedConsumerOptions, handler: MessageHandler, deps: Deps) {
    this.options = options;
    this.#handler = handler;
    this.#deps = deps;
    this.#log = deps.logger.child({ consumer: options.name, queue: options.queue });
    // Outermost first. The deadline wraps everything, so time spent waiting for a slot counts
    // (the broker's consumer_timeout counts it too); the concurrency limit is innermost, so a
    // handler keeps its slot until it really ends, even past its deadline.
    this.#deadline = new Deadline(options.timeoutMs);
    this.#limit = new ConcurrencyLimit(options.concurrency);
    // The deadline is always there: a publisher may set x-warren-deadline even without timeoutMs.
    this.#middleware = [this.#deadline, this.#limit];
    this.#pipeline = compose(this.#middleware, this.#callHandler);
    for (const d of options.retry.delaysMs) this.#declaredDelays.add(d);
    this.#interruptedIds = new InterruptedDeliveries(Math.max(1000, 4 * options.prefetch));
  }

  get name(): string {
    return this.options.name;
  }
  get state(): ConsumerState {
    return this.#state;
  }
  /** ms since this consumer last got a delivery or (re)started consuming, whichever is later. */
  get msIdle(): number {
    return Date.now() - Math.max(this.#lastDeliveryAt, this.#consumingSince);
  }

  stats(): ConsumerStats {
    return {
      state: this.#state,
      ...this.#counts,
      inFlight: this.#inFlight.size,
      lateResults: this.#deadline.late,
      leftUnsettledAtStop: this.#leftUnsettled,
      maxConcurrent: this.#limit.maxSeen,
    };
  }

  /** Ready messages in this consumer's queue (a passive declare); undefined if it cannot tell within 5 s. */
  async readyMessages(): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const channel = await this.#deps.connection.createChannel();
      channel.on('error', () => undefined);
      const answer = channel.checkQueue(this.options.queue).then((r) => r.messageCount);
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), 5000);
      });
      const ready = await Promise.race([answer, timeout]);
      answer.catch(() => undefined);
      void channel.close().catch(() => undefined);
      return ready;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The pipeline and its live state, for the startup log and health checks. */
  describe(): Record<string, unknown> {
    const o = this.options;
    return {
      consumer: o.name,
      queue: o.queue,
      prefetch: o.prefetch,
      retry: o.retry.attempts > 1 ? { attempts: o.retry.attempts, delaysMs: o.retry.delaysMs } : null,
      deadLetter: o.deadLetter ? deadLetterQueueName(o.queue) : null,
      middleware: this.#middleware.map((m) => ({ name: m.name, ...m.describe() })),
    };
  }

  /** Declares topology, opens the channel and starts consuming; re-does all of it after each reconnect. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new ClosedError(`consumer ${this.name} was already started`);
    this.#setState('starting');
    this.#subscriptions.push(
      this.#deps.connection.events.on('connected', () => this.#scheduleReopen('reconnected', 0)),
      this.#deps.connection.events.on('disconnected', () => this.#interrupted('connection lost')),
    );
    try {
      await this.#open();
    } catch (error) {
      // A failed start must not go on retrying in the background.
      await this.stop(0);
      throw error;
    }
  }

  /** Stops taking messages (cancels the broker consumer) and keeps the runtime; in-flight work goes on. */
  async pause(): Promise<void> {
    if (this.#paused || this.#stopping !== undefined) return;
    this.#paused = true;
    await this.#cancelConsumer();
    this.#setState('paused');
  }

  /** Starts taking messages again after `pause()`. */
  async resume(): Promise<void> {
    if (!this.#paused || this.#stopping !== undefined) return;
    this.#paused = false;
    if (this.#isolating) {
      this.#setState('isolating'); // isolation consumes again when it is over
      return;
    }
    const channel = this.#channel;
    if (channel === undefined) return; // reopening will consume
    await this.#consume(channel);
    this.#setState('consuming');
  }

  /**
   * Ordered, idempotent stop: cancel the broker consumer (no new deliveries), let in-flight
   * handlers finish within `graceMs`, then abort the rest through `ctx.signal` and give their
   * messages back to the queue, settle, close the channel.
   */
  stop(graceMs = this.options.shutdownGraceMs): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    const unsettleableBefore = this.#counts.unsettleable;
    this.#stopSignal.abort();
    this.#setState('stopping');
    clearTimeout(this.#reopenTimer);
    await this.#cancelConsumer();
    if (!(await this.#waitForDrain(graceMs))) {
      this.#log.warn({ inFlight: this.#inFlight.size, graceMs }, 'grace period over: aborting in-flight handlers');
      for (const d of this.#inFlight) d.abort(SHUTDOWN_ABORT, 'shutdown');
      // Handlers that honour the signal settle (requeue) promptly; the rest are left to the
      // broker, which requeues whatever is unacked when the channel closes.
      if (!(await this.#waitForDrain(Math.min(2000, Math.max(200, graceMs))))) {
        this.#log.warn(
          { inFlight: this.#inFlight.size },
          'handlers ignored the abort: their messages return to the queue on channel close',
        );
      }
    }
    const channel = this.#channel;
    this.#channel = undefined;
    this.#channelGeneration++;
    // What this shutdown could not settle: settles refused (their channel died) and handlers
    // that never ended. The broker requeues both; the run before the shutdown does not count.
    this.#leftUnsettled = this.#counts.unsettleable - unsettleableBefore + this.#inFlight.size;
    if (channel !== undefined) await within(channel.close(), BROKER_REPLY_MS);
    for (const subscription of this.#subscriptions.splice(0)) subscription.dispose();
    this.#setState('stopped');
  }

  #waitForDrain(ms: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = undefined;
        resolve(false);
      }, ms);
      this.#drained = () => {
        clearTimeout(timer);
        this.#drained = undefined;
        resolve(true);
      };
    });
  }

  async #cancelConsumer(): Promise<void> {
    // Deliveries can arrive before basic.consume's promise resolves: wait for the tag to cancel it.
    if (this.#subscribing !== undefined) await within(this.#subscribing, BROKER_REPLY_MS);
    const channel = this.#channel;
    const tag = this.#consumerTag;
    this.#consumerTag = undefined;
    if (channel === undefined || tag === undefined) return;
    // A channel that is gone took the subscription with it; a stalled one must not hold up shutdown.
    await within(channel.cancel(tag), BROKER_REPLY_MS);
  }

  async #open(): Promise<void> {
    const channel = await this.#deps.connection.createChannel();
    const generation = ++this.#channelGeneration;
    this.#counts.channelOpens++;
    channel.on('error', (error: Error) => this.#interrupted(`channel error: ${error.message}`));
    channel.on('close', () => {
      this.#rememberUnsettled(generation);
      if (generation !== this.#channelGeneration) return;
      this.#channel = undefined;
      this.#consumerTag = undefined;
      this.#interrupted('channel closed');
      // A channel closed by the broker (406, 404, consumer_timeout) while the connection lives:
      // reopen it here. A lost connection reopens on 'connected' instead.
      if (this.#deps.connection.state === 'connected') this.#scheduleReopen('channel closed');
    });
    channel.on('cancel', () => {
      if (generation !== this.#channelGeneration) return;
      this.#consumerTag = undefined;
      this.#interrupted('the broker cancelled the consumer (queue deleted?)');
      this.#scheduleReopen('consumer cancelled by broker');
    });
    try {
      await declareConsumerTopology(channel, this.options, [...this.#declaredDelays]);
      await channel.prefetch(this.options.prefetch);
    } catch (error) {
      if (generation === this.#channelGeneration) this.#channelGeneration++;
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (this.#stopping !== undefined) {
      // stop() began while this channel opened: it has already let go of the old one.
      this.#channelGeneration++;
      await within(channel.close(), BROKER_REPLY_MS);
      return;
    }
    this.#channel = channel;
    if (this.#paused) {
      this.#setState('paused');
      return;
    }
    // Suspects are being run one at a time: intake resumes when that is over.
    if (this.#isolating) {
      this.#reopenAttempt = 0;
      this.#setState('isolating');
      return;
    }
    await this.#consume(channel);
    this.#reopenAttempt = 0;
    this.#lastInterruption = '';
    this.#setState('consuming');
  }

  async #consume(channel: Channel): Promise<void> {
    const generation = this.#channelGeneration;
    const subscribing = channel
      .consume(this.options.queue, (msg) => this.#onMessage(msg, generation), { noAck: false })
      .then((ok) => {
        this.#consumerTag = ok.consumerTag;
      });
    this.#subscribing = subscribing;
    try {
      await subscribing;
    } finally {
      if (this.#subscribing === subscribing) this.#subscribing = undefined;
    }
  }

  /**
   * The broker requeues what was unacked on a channel that closed; this process survived, so
   * when those messages come back it knows they did not kill it, and which never even started.
   */
  #rememberUnsettled(generation: number): void {
    if (this.#stopping !== undefined) return;
    for (const d of this.#inFlight) {
      if (d.channelGeneration !== generation) continue;
      this.#interruptedIds.remember(identityOf(d.message), d.started ? 'started' : 'not-started');
      // Its tag died with the channel and the broker will deliver it again: one still waiting for
      // a slot must not run now as well, and a running handler may stop early.
      d.abort(CHANNEL_LOST, 'channel-lost');
    }
  }

  #interrupted(reason: string): void {
    if (this.#stopping !== undefined) return;
    // Log a cause once, not once per retry of the same failure.
    if (reason !== this.#lastInterruption) {
      this.#lastInterruption = reason;
      this.#log.warn({ reason }, 'consumer interrupted; it will be restored');
      this.#deps.events.emit('consumerInterrupted', this.name, reason);
    }
    this.#setState('recovering');
  }

  #scheduleReopen(reason: string, delayMs?: number): void {
    if (this.#stopping !== undefined || this.#reopening) return;
    clearTimeout(this.#reopenTimer);
    const delay = delayMs ?? backoffDelay(++this.#reopenAttempt, DEFAULT_BACKOFF);
    this.#reopenTimer = setTimeout(() => void this.#reopen(reason), delay);
  }

  async #reopen(reason: string): Promise<void> {
    if (this.#stopping !== undefined || this.#reopening) return;
    this.#reopening = true;
    try {
      await this.#deps.connection.waitForConnected();
      const old = this.#channel;
      if (old !== undefined) {
        this.#channel = undefined;
        this.#channelGeneration++;
        await old.close().catch(() => undefined);
      }
      await this.#open();
      this.#log.info({ reason }, 'consumer restored');
    } catch (error) {
      this.#reopening = false;
      if (this.#stopping !== undefined || this.#deps.connection.state === 'closed' || this.#deps.connection.state === 'failed') return;
      this.#interrupted(`cannot restore: ${(error as Error).message}`);
      this.#scheduleReopen(reason);
      return;
    }
    this.#reopening = false;
  }

  #onMessage(msg: ConsumeMessage | null, generation: number): void {
    if (msg === null) return; // a broker cancel; the channel's 'cancel' event resubscribes
    this.#counts.received++;
    this.#lastDeliveryAt = Date.now();
    const intake = classifyDelivery({
      headers: (msg.properties.headers ?? EMPTY) as Record<string, unknown>,
      redelivered: msg.fields.redelivered,
      queueType: this.options.queueType,
      redeliveryLimit: this.options.redeliveryLimit,
      interruption: msg.fields.redelivered && this.#interruptedIds.size > 0 ? this.#interruptedIds.take(identityOf(msg)) : undefined,
    });
    const delivery = new Delivery(msg, generation, this.name, this.options.queue, intake.attempt, this.#log);
    // In flight (unsettled) until settled: isolation waits for it before starting a suspect.
    this.#inFlight.add(delivery);
    if (intake.action === 'limit') {
      void this.#settle(
        delivery,
        { action: 'dead-letter', reason: 'redelivery-limit' },
        new Error(`delivered ${intake.attempt} times, more than redeliveryLimit (${this.options.redeliveryLimit})`),
      )
        .catch((error: unknown) => this.#log.error({ err: describeFailure(error).message }, 'bug: settling threw'))
        .finally(() => this.#ranOne());
      return;
    }
    if (intake.action === 'count') {
      void this.#countRedelivery(delivery, intake.redeliveries)
        .catch((error: unknown) => this.#log.error({ err: describeFailure(error).message }, 'bug: counting a redelivery threw'))
        .finally(() => this.#ranOne());
      return;
    }
    if (intake.suspect || this.#isolating) {
      (intake.suspect ? this.#suspects : this.#held).push(delivery);
      if (!this.#isolating)
        void this.#isolate().catch((error: unknown) => this.#log.error({ err: describeFailure(error).message }, 'bug: isolation threw'));
      return;
    }
    void this.#process(delivery)
      .catch((error: unknown) => this.#log.error({ err: describeFailure(error).message }, 'bug: settling threw'))
      .finally(() => this.#ranOne());
  }

  /** A handler ended: isolation may be waiting for the channel to go quiet. */
  #ranOne(): void {
    this.#idle?.();
  }

  /** Whether a delivery of the live channel is being handled (not waiting to be isolated). */
  #runningOnLiveChannel(): boolean {
    for (const d of this.#inFlight) {
      if (!d.settled && !this.#isStale(d) && !this.#suspects.includes(d) && !this.#held.includes(d)) return true;
    }
    return false;
  }

  /**
   * Runs messages that were in flight when a worker died (suspects: one of them may be what
   * killed it) one at a time, alone. Intake stops, running handlers finish, deliveries that
   * have not started are handed back to the queue uncounted, and only then does a suspect run;
   * so if it kills the process again, it is the only unacked message and the only one whose
   * redelivery count grows. Innocent bystanders are not dead-lettered with the poison.
   */
  async #isolate(): Promise<void> {
    this.#isolating = true;
    this.#counts.isolations++;
    if (!this.#paused && this.#stopping === undefined) this.#setState('isolating');
    try {
      await this.#runSuspectsAlone();
    } finally {
      // Whatever happened, intake must not stay off.
      this.#isolating = false;
    }
    const channel = this.#channel;
    if (channel !== undefined && this.#stopping === undefined && !this.#paused && this.#consumerTag === undefined) {
      try {
        await this.#consume(channel);
        this.#setState('consuming');
      } catch (error) {
        // The channel died meanwhile; reopening it consumes again.
        this.#interrupted(`cannot resume after isolation: ${describeFailure(error).message}`);
      }
    } else if (channel === undefined && this.#stopping === undefined && !this.#paused) {
      this.#setState('recovering'); // reopening the channel consumes again
    }
  }

  async #runSuspectsAlone(): Promise<void> {
    await this.#cancelConsumer();
    // Deliveries that have not started go back at once: held unacked while running handlers
    // finish, they would only risk the broker's consumer_timeout.
    for (const held of this.#held.splice(0)) await this.#handBack(held);
    // Then wait for what runs on this channel (handlers of a dead channel cannot ack anything).
    // Bounded: a handler that hangs (no deadline, deaf to its signal) must not stop intake for good.
    const until = Date.now() + (this.options.timeoutMs ?? this.options.shutdownGraceMs);
    while (this.#runningOnLiveChannel() && Date.now() < until) {
      await within(new Promise<void>((resolve) => (this.#idle = resolve)), until - Date.now());
      for (const held of this.#held.splice(0)) await this.#handBack(held);
    }
    this.#idle = undefined;
    // One suspect per round; every other delivery taken meanwhile (suspect or not) goes back to
    // the queue first, so the one running is the only unacked message on the channel.
    while (this.#suspects.length > 0 || this.#held.length > 0) {
      // A subscription that started meanwhile (a reopened channel) would keep feeding the loop.
      if (this.#consumerTag !== undefined || this.#subscribing !== undefined) await this.#cancelConsumer();
      const suspect = this.#suspects.shift();
      for (const other of [...this.#held.splice(0), ...this.#suspects.splice(0)]) await this.#handBack(other);
      if (suspect === undefined) continue;
      if (this.#isStale(suspect)) {
        this.#forget(suspect);
        continue;
      }
      // amqplib sends acks on its next write; a suspect that kills the process at once would take
      // them along unsent. A round trip (basic.qos, answered in order) proves the broker has them.
      await this.#channel?.prefetch(this.options.prefetch).catch(() => undefined);
      // Intake is off while it runs, so it must end: without a timeoutMs of its own, a suspect
      // gets the consumer's shutdown grace period (10 s by default; 1 s at least); past it, its signal aborts
      // and it is a failed attempt (retried or dead-lettered), and intake resumes.
      if (this.options.timeoutMs === undefined) suspect.deadlineOverride = Date.now() + Math.max(1000, this.options.shutdownGraceMs);
      await this.#process(suspect);
    }
  }

  /** Returns a delivery that never started to the back of the queue as it was (not counted as an attempt). */
  /** True when the delivery's channel is gone: its tag is void, and the broker has requeued it. */
  #isStale(delivery: Delivery): boolean {
    return this.#channel === undefined || delivery.channelGeneration !== this.#channelGeneration;
  }

  /** Drops a stale delivery without acting on it: copying it now would only duplicate the redelivery. */
  #forget(delivery: Delivery): void {
    delivery.settled = true;
    this.#counts.unsettleable++;
    this.#finish(delivery);
  }

  async #handBack(delivery: Delivery): Promise<void> {
    if (this.#isStale(delivery)) {
      this.#forget(delivery);
      return;
    }
    delivery.settled = true;
    await this.#putBack(delivery);
    this.#finish(delivery);
  }

  /** Puts a copy at the back of the queue with the counts so far, then acks; falls back to a requeue. */
  async #putBack(delivery: Delivery): Promise<boolean> {
    try {
      // Keep what was counted so far: a quorum queue's own count does not follow a new copy.
      const h = delivery.amqpHeaders;
      const counted = {
        [HEADER.attempt]: delivery.attempt,
        [HEADER.redeliveries]: (intHeader(h, HEADER.redeliveries) ?? 0) + (intHeader(h, DELIVERY_COUNT) ?? 0),
      };
      // Short: at shutdown the channel closes soon after; a slow copy falls back to a requeue.
      await this.#sendCopy(this.options.queue, delivery, counted, { timeoutMs: 1000 }, true);
      return this.#brokerSettle(delivery, 'ack');
    } catch {
      return this.#brokerSettle(delivery, 'requeue');
    }
  }

  /**
   * A classic queue only flags a redelivery, it does not count them; so a message that kills
   * the process would loop forever. Warren counts it: the redelivered message is republished
   * with its attempt + 1 (confirmed), then acked, before any handler runs. Confirm, then ack,
   * without exception: when the copy's fate is unknown the original goes back to the queue (a
   * duplicate is possible, a loss is not).
   */
  async #countRedelivery(delivery: Delivery, redeliveries: number): Promise<void> {
    if (this.#isStale(delivery)) {
      this.#forget(delivery);
      return;
    }
    // Unsettled until the original is acked: isolation waits for it before running a suspect.
    try {
      const counted = { [HEADER.attempt]: delivery.attempt, [HEADER.redeliveries]: redeliveries };
      // A blocked publisher must not hold the prefetch window for long: see below.
      await this.#sendCopy(this.options.queue, delivery, counted, { timeoutMs: 5000 }, true);
    } catch (error) {
      if (error instanceof PublishTimeoutError && !error.written) {
        // The publisher is blocked or reconnecting and never wrote the copy: handle this one
        // uncounted rather than hold the window (a message that kills the worker goes uncounted
        // only as long as publishing is blocked).
        this.#log.warn({ messageId: delivery.messageId }, 'could not count a redelivery (publishing is blocked); handling it uncounted');
        await this.#process(delivery);
        return;
      }
      if (error instanceof InvalidPublishError) {
        // Not even a minimal copy can be sent: it cannot be counted, so it must not run (a
        // message that kills the worker would loop for ever). Dead-lettered as it is.
        this.#log.error(
          { messageId: delivery.messageId, err: error.message },
          'a redelivered message cannot be copied to count it; dead-lettering it as it is',
        );
        delivery.settled = true;
        this.#dropToDeadLetterExchange(delivery);
        this.#finish(delivery);
        return;
      }
      // Refused, or fate unknown (written but unconfirmed, channel lost): the original goes back.
      this.#log.warn(
        { messageId: delivery.messageId, err: describeFailure(error).message },
        'could not confirm the counted copy of a redelivery; requeueing the original',
      );
      await sleepUnlessStopping(1000, this.#stopSignal.signal);
      delivery.settled = true;
      this.#brokerSettle(delivery, 'requeue', false);
      this.#finish(delivery);
      return;
    }
    this.#counts.redeliveriesCounted++;
    delivery.settled = true;
    this.#brokerSettle(delivery, 'ack');
    this.#finish(delivery);
  }

  async #process(delivery: Delivery): Promise<void> {
    let ending: Ending = SUCCEEDED;
    try {
      const payload = decodeBody(delivery.body, delivery.message.properties.contentType as string | undefined, this.options);
      delivery.payload = this.options.schema === undefined ? payload : await validatePayload(this.options.schema, payload);
      await this.#pipeline(delivery);
    } catch (error) {
      // Whatever was thrown, `undefined` included, is a failure: only a fulfilled handler acks.
      ending = { ok: false, error, started: delivery.started, interruptedByShutdown: delivery.abortCause === 'shutdown' };
    }
    const outcome = decideOutcome(ending, delivery.attempt, this.options.retry);
    await this.#settle(delivery, outcome, ending.ok ? undefined : ending.error);
  }

  readonly #callHandler: Next = async (delivery) => {
    if (delivery.aborted) throw delivery.abortReason;
    delivery.started = true;
    await this.#handler.handle(delivery.payload, delivery);
  };

  /** Carries out an outcome. The one place a delivery is settled; a second call is refused. */
  async #settle(delivery: Delivery, outcome: Outcome, error: unknown): Promise<void> {
    if (delivery.settled) {
      this.#log.error({ messageId: delivery.messageId }, 'bug: second settle of one delivery refused');
      return;
    }
    delivery.settled = true;
    let onBroker = true;
    try {
      if (this.#isStale(delivery)) {
        // Its channel is gone and the broker has requeued it: a retry or dead-letter copy now
        // would only duplicate the redelivery.
        this.#counts.unsettleable++;
        onBroker = false;
        return;
      }
      switch (outcome.action) {
        case 'ack':
          onBroker = this.#brokerSettle(delivery, 'ack');
          if (onBroker) this.#counts.acked++;
          break;
        case 'requeue':
          // Interrupted by shutdown, not the message's fault: a plain requeue would come back
          // flagged as redelivered and be counted against it. Put back a copy with its counts.
          onBroker = await this.#putBack(delivery);
          if (onBroker) this.#counts.requeued++;
          break;
        case 'retry':
          onBroker = await this.#retry(delivery, outcome.delayMs, error);
          break;
        case 'dead-letter':
          onBroker = await this.#deadLetter(delivery, outcome.reason, error);
          break;
      }
    } catch (bug) {
      // Settling must always reach the broker: a delivery left unacked holds its prefetch slot
      // until the broker's consumer_timeout closes the whole channel.
      this.#log.error({ messageId: delivery.messageId, err: describeFailure(bug).message }, 'bug: settling failed; requeueing');
      await sleepUnlessStopping(1000, this.#stopSignal.signal);
      delivery.carriedOut = { action: 'requeue' };
      onBroker = this.#brokerSettle(delivery, 'requeue');
    } finally {
      this.#deps.events.emit(
        'settled',
        this.name,
        delivery.carriedOut ?? outcome,
        Date.now() - delivery.receivedAt,
        onBroker,
        delivery.messageId,
      );
      this.#finish(delivery);
    }
  }

  #finish(delivery: Delivery): void {
    this.#inFlight.delete(delivery);
    if (this.#inFlight.size === 0) this.#drained?.();
  }

  /**
   * ack / nack on the delivery's own channel, only if that channel is still the live one. A
   * requeue Warren chose is remembered as `innocent` unless told otherwise: when it comes back
   * flagged as redelivered, it costs no attempt.
   */
  #brokerSettle(delivery: Delivery, how: 'ack' | 'requeue' | 'drop', innocent = true): boolean {
    const channel = this.#channel;
    if (channel === undefined || this.#isStale(delivery)) {
      // Its delivery tag died with its channel: an ack now would hit a closed channel or, worse,
      // a new channel's unrelated tag (406). The broker has requeued it; it comes back.
      this.#counts.unsettleable++;
      return false;
    }
    try {
      if (how === 'ack') channel.ack(delivery.message);
      else {
        if (how === 'requeue' && innocent) this.#interruptedIds.remember(identityOf(delivery.message), 'not-started');
        channel.nack(delivery.message, false, how === 'requeue');
      }
      return true;
    } catch {
      this.#counts.unsettleable++;
      return false;
    }
  }

  /** nack without requeue: the queue's own dead-letter exchange takes it as it is (or drops it, with deadLetter: false). */
  #dropToDeadLetterExchange(delivery: Delivery): boolean {
    delivery.carriedOut = { action: 'dead-letter', reason: 'rejected' };
    const ok = this.#brokerSettle(delivery, 'drop');
    if (ok && this.options.deadLetter) this.#counts.deadLettered++;
    else if (ok) {
      this.#counts.dropped++;
      this.#log.error({ messageId: delivery.messageId }, 'message dropped: it could not be copied and deadLetter is off');
    }
    return ok;
  }

  async #retry(delivery: Delivery, delayMs: number, error: unknown): Promise<boolean> {
    const queue = this.options.queue;
    const failure = describeFailure(error);
    this.#log.info(
      { messageId: delivery.messageId, attempt: delivery.attempt, delayMs, err: failure.message },
      'handler failed; retrying later',
    );
    const extra: Record<string, unknown> = {
      [HEADER.attempt]: delivery.attempt + 1,
      // The handler ran and returned an error: whatever killed a worker before, it was not this.
      [HEADER.redeliveries]: 0,
      [HEADER.error]: truncate(failure.name),
      [HEADER.errorMessage]: truncate(failure.message),
    };
    const publish: CopyPublishOptions = {};
    let target = queue;
    try {
      if (delayMs > 0) {
        // A configured delay has its own queue; any other (a handler's RetryLater) waits in the
        // next queue of a bounded ladder, with its own TTL, so there is never a queue per delay.
        const queueDelay = retryQueueDelay(delayMs, this.options.retry.delaysMs);
        target = retryQueueName(queue, queueDelay);
        if (!this.#declaredDelays.has(queueDelay)) await this.#declareDelay(queueDelay);
        // Jitter only shortens a wait (per-message TTL below the queue's), so the queue's head
        // never holds back a message behind it for longer than the queue's own delay.
        const jitter = this.options.retry.jitter;
        const wait = jitter > 0 ? Math.max(1, Math.round(delayMs * (1 - jitter * Math.random()))) : delayMs;
        if (wait !== queueDelay) publish.expiration = String(wait);
      }
      await this.#sendCopy(target, delivery, extra, publish, false);
    } catch (publishError) {
      // Confirm first, then ack: without the confirm, the original goes back.
      return this.#couldNotCopy(delivery, publishError, `retry to ${target}`, delayMs);
    }
    this.#counts.retried++;
    return this.#brokerSettle(delivery, 'ack');
  }

  /**
   * A copy (retry, dead letter) could not be written. The original must not be lost, nor spin:
   * a copy that can never be written goes to the queue's own dead-letter route as it is; a
   * missing target queue gets the topology declared again; otherwise the delivery keeps its
   * prefetch slot for a while (back-pressure, no hot loop) and then goes back to the queue.
   */
  async #couldNotCopy(delivery: Delivery, error: unknown, what: string, delayMs: number): Promise<boolean> {
    this.#log.warn({ messageId: delivery.messageId, err: describeFailure(error).message }, `could not publish the ${what}`);
    if (error instanceof InvalidPublishError) return this.#dropToDeadLetterExchange(delivery);
    if (error instanceof UnroutableError || error instanceof TopologyError) await this.#redeclare();
    // Stopping cuts the hold short, so the message goes back while the channel is still open.
    await sleepUnlessStopping(Math.min(Math.max(delayMs, 1000), 30_000), this.#stopSignal.signal);
    delivery.carriedOut = { action: 'requeue' };
    const back = this.#brokerSettle(delivery, 'requeue');
    if (back) this.#counts.requeued++;
    return back;
  }

  /**
   * Declares the topology again on a channel of its own (someone deleted a retry queue or the
   * DLQ), leaving the consumer's channel and its in-flight deliveries alone.
   */
  async #redeclare(): Promise<void> {
    try {
      const channel = await this.#deps.connection.createChannel();
      channel.on('error', () => undefined);
      try {
        await declareConsumerTopology(channel, this.options, [...this.#declaredDelays]);
        this.#log.info('declared the topology again: a retry or dead-letter queue was missing');
      } finally {
        await within(channel.close(), BROKER_REPLY_MS);
      }
    } catch (error) {
      this.#log.warn({ err: describeFailure(error).message }, 'could not declare the topology again');
    }
  }

  async #declareDelay(delayMs: number): Promise<void> {
    const channel = await this.#deps.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await assertRetryQueue(channel, this.options.queue, delayMs);
      this.#declaredDelays.add(delayMs);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async #deadLetter(delivery: Delivery, reason: DeadLetterReason, error: unknown): Promise<boolean> {
    const failure = describeFailure(error);
    this.#log.warn(
      {
        messageId: delivery.messageId,
        attempt: delivery.attempt,
        reason,
        err: failure.message,
        stack: stackOf(error),
      },
      'dead-lettering message',
    );
    if (!this.options.deadLetter) {
      const ok = this.#brokerSettle(delivery, 'drop');
      if (ok) this.#counts.dropped++;
      return ok;
    }
    const issues = reason === 'decode' && (error as { reason?: unknown }).reason === 'schema' ? failure.message : undefined;
    const headers: Record<string, unknown> = {
      [HEADER.reason]: reason,
      [HEADER.error]: truncate(failure.name),
      [HEADER.errorMessage]: truncate(failure.message),
      [HEADER.attempt]: delivery.attempt,
      [HEADER.consumer]: this.name,
      [HEADER.queue]: this.options.queue,
      [HEADER.deadLetteredAt]: new Date().toISOString(),
    };
    if (failure.code !== undefined) headers[HEADER.errorCode] = truncate(failure.code);
    if (issues !== undefined) headers[HEADER.issues] = truncate(issues, 4000);
    try {
      await this.#sendCopy(deadLetterQueueName(this.options.queue), delivery, headers, {}, false);
    } catch (publishError) {
      return this.#couldNotCopy(delivery, publishError, 'dead letter', 0);
    }
    const ok = this.#brokerSettle(delivery, 'ack');
    if (ok) this.#counts.deadLettered++;
    return ok;
  }

  /**
   * Sends a copy of a delivery (retry, dead letter, counted redelivery, put-back) and resolves on
   * its confirm. A copy that cannot be encoded (a foreign header amqplib cannot write, headers
   * grown past the frame size) goes again with only the headers that can be sent, naming the ones
   * left out; if even that cannot be sent, the InvalidPublishError reaches the caller.
   */
  async #sendCopy(
    queue: string,
    delivery: Delivery,
    warrenHeaders: Record<string, unknown>,
    publish: CopyPublishOptions,
    keepDeadline: boolean,
  ): Promise<void> {
    const full = copyOptions(delivery.message, warrenHeaders, keepDeadline);
    try {
      await this.#deps.republisher.send(queue, delivery.body, { ...full, ...publish });
    } catch (error) {
      if (!(error instanceof InvalidPublishError)) throw error;
      this.#log.warn(
        { messageId: delivery.messageId, err: error.message },
        'a copy of this message cannot be sent with all its headers; sending it without those that cannot be',
      );
      const trimmed = copyOptions(delivery.message, warrenHeaders, keepDeadline, true);
      await this.#deps.republisher.send(queue, delivery.body, { ...trimmed, ...publish });
    }
  }

  #setState(state: ConsumerState): void {
    if (this.#state === state) return;
    if (state === 'consuming') this.#consumingSince = Date.now();
    this.#state = state;
    this.#deps.events.emit('consumerState', this.name, state);
  }
}
