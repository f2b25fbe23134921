import type { Channel, ConsumeMessage } from 'amqplib';
import { backoffDelay, DEFAULT_BACKOFF } from '../connection/backoff.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { ClosedError } from '../errors/WarrenError.js';
import { ConcurrencyLimit } from '../middleware/concurrencyLimit.js';
import { Deadline } from '../middleware/deadline.js';
import { compose, type Middleware, type Next } from '../middleware/Middleware.js';
import type { ConsumerState, WarrenEvents } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { TypedEvents } from '../observability/TypedEvents.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { assertRetryQueue, declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { deadLetterQueueName, retryQueueName } from '../topology/names.js';
import { Delivery } from './Delivery.js';
import { decodeBody } from './decode.js';
import { HEADER, intHeader, truncate } from './headers.js';
import { type DeadLetterReason, decideOutcome, describeFailure, type Outcome } from './outcome.js';
import type { Republisher, RepublishOptions } from './Republisher.js';
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
  /** Settles that could not reach the broker: their channel was gone. The broker redelivers them. */
  unsettleable: number;
  /** Handlers that finished after their deadline; their results were discarded. */
  lateResults: number;
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
  readonly #declaredDelays = new Set<number>();
  #state: ConsumerState = 'idle';
  #channel: Channel | undefined;
  #channelGeneration = 0;
  #consumerTag: string | undefined;
  #paused = false;
  #reopenAttempt = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  #reopening = false;
  #lastInterruption = '';
  #stopping: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #lastDeliveryAt = 0;
  readonly #counts = {
    received: 0,
    acked: 0,
    retried: 0,
    deadLettered: 0,
    requeued: 0,
    dropped: 0,
    redeliveriesCounted: 0,
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
    this.#middleware = options.timeoutMs === undefined ? [this.#limit] : [this.#deadline, this.#limit];
    this.#pipeline = compose(this.#middleware, this.#callHandler);
    for (const d of options.retry.delaysMs) this.#declaredDelays.add(d);
  }

  get name(): string {
    return this.options.name;
  }
  get state(): ConsumerState {
    return this.#state;
  }
  /** ms since the last delivery arrived (0 if none yet). */
  get msSinceLastDelivery(): number {
    return this.#lastDeliveryAt === 0 ? 0 : Date.now() - this.#lastDeliveryAt;
  }

  stats(): ConsumerStats {
    return {
      state: this.#state,
      ...this.#counts,
      inFlight: this.#inFlight.size,
      lateResults: this.#deadline.late,
      maxConcurrent: this.#limit.maxSeen,
    };
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
    this.#deps.connection.events.on('connected', () => this.#scheduleReopen('reconnected', 0));
    this.#deps.connection.events.on('disconnected', () => this.#interrupted('connection lost'));
    await this.#open();
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
    if (channel !== undefined) await channel.close().catch(() => undefined);
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
    const channel = this.#channel;
    const tag = this.#consumerTag;
    this.#consumerTag = undefined;
    if (channel === undefined || tag === undefined) return;
    try {
      await channel.cancel(tag);
    } catch {
      // The channel is gone, and the subscription with it.
    }
  }

  async #open(): Promise<void> {
    const channel = await this.#deps.connection.createChannel();
    const generation = ++this.#channelGeneration;
    this.#counts.channelOpens++;
    channel.on('error', (error: Error) => this.#interrupted(`channel error: ${error.message}`));
    channel.on('close', () => {
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
    this.#channel = channel;
    if (this.#stopping !== undefined) return;
    if (this.#paused) {
      this.#setState('paused');
      return;
    }
    await this.#consume(channel);
    this.#reopenAttempt = 0;
    this.#lastInterruption = '';
    this.#setState('consuming');
  }

  async #consume(channel: Channel): Promise<void> {
    const generation = this.#channelGeneration;
    const { consumerTag } = await channel.consume(this.options.queue, (msg) => this.#onMessage(msg, generation), { noAck: false });
    this.#consumerTag = consumerTag;
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
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    let attempt = intHeader(headers, HEADER.attempt) ?? 1;
    if (this.options.queueType === 'quorum') {
      attempt += intHeader(headers, 'x-delivery-count') ?? 0;
    } else if (msg.fields.redelivered) {
      attempt++;
      const delivery = new Delivery(msg, generation, this.name, this.options.queue, attempt, this.#log);
      this.#inFlight.add(delivery);
      void this.#countRedelivery(delivery);
      return;
    }
    const delivery = new Delivery(msg, generation, this.name, this.options.queue, attempt, this.#log);
    this.#inFlight.add(delivery);
    void this.#process(delivery);
  }

  /**
   * A classic queue only flags a redelivery, it does not count them; so a message that kills
   * the process would loop forever. Warren counts it: the redelivered message is republished
   * with attempt + 1 (confirmed), then acked, before any handler runs. Past the limit, it is
   * dead-lettered instead.
   */
  async #countRedelivery(delivery: Delivery): Promise<void> {
    if (delivery.attempt > this.options.redeliveryLimit) {
      await this.#settle(
        delivery,
        { action: 'dead-letter', reason: 'redelivery-limit' },
        new Error(`delivered ${delivery.attempt} times, more than redeliveryLimit (${this.options.redeliveryLimit})`),
      );
      return;
    }
    try {
      await this.#deps.republisher.send(
        this.options.queue,
        delivery.body,
        this.#republishOptions(delivery, { [HEADER.attempt]: delivery.attempt }),
      );
      this.#counts.redeliveriesCounted++;
      delivery.settled = true;
      this.#brokerSettle(delivery, 'ack');
    } catch (error) {
      // Could not write the counted copy: handle this one as it is rather than lose or spin it.
      this.#log.warn({ err: (error as Error).message }, 'could not count a redelivery; handling it uncounted');
      await this.#process(delivery);
      return;
    }
    this.#finish(delivery);
  }

  async #process(delivery: Delivery): Promise<void> {
    let error: unknown;
    try {
      const payload = decodeBody(delivery.body, delivery.message.properties.contentType as string | undefined, this.options);
      delivery.payload = this.options.schema === undefined ? payload : await validatePayload(this.options.schema, payload);
      await this.#pipeline(delivery);
    } catch (e) {
      error = e;
    }
    const outcome = decideOutcome(error, delivery.attempt, this.options.retry, delivery.abortCause === 'shutdown');
    await this.#settle(delivery, outcome, error);
  }

  readonly #callHandler: Next = async (delivery) => {
    if (delivery.signal.aborted) throw delivery.signal.reason;
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
      switch (outcome.action) {
        case 'ack':
          onBroker = this.#brokerSettle(delivery, 'ack');
          if (onBroker) this.#counts.acked++;
          break;
        case 'requeue':
          onBroker = this.#brokerSettle(delivery, 'requeue');
          if (onBroker) this.#counts.requeued++;
          break;
        case 'retry':
          onBroker = await this.#retry(delivery, outcome.delayMs, error);
          break;
        case 'dead-letter':
          onBroker = await this.#deadLetter(delivery, outcome.reason, error);
          break;
      }
    } finally {
      this.#deps.events.emit('settled', this.name, outcome, Date.now() - delivery.receivedAt, onBroker, delivery.messageId);
      this.#finish(delivery);
    }
  }

  #finish(delivery: Delivery): void {
    this.#inFlight.delete(delivery);
    if (this.#inFlight.size === 0) this.#drained?.();
  }

  /** ack / nack on the delivery's own channel, only if that channel is still the live one. */
  #brokerSettle(delivery: Delivery, how: 'ack' | 'requeue' | 'drop'): boolean {
    const channel = this.#channel;
    if (channel === undefined || delivery.channelGeneration !== this.#channelGeneration) {
      // Its delivery tag died with its channel: an ack now would hit a closed channel or, worse,
      // a new channel's unrelated tag (406). The broker has requeued it; it comes back.
      this.#counts.unsettleable++;
      return false;
    }
    try {
      if (how === 'ack') channel.ack(delivery.message);
      else channel.nack(delivery.message, false, how === 'requeue');
      return true;
    } catch {
      this.#counts.unsettleable++;
      return false;
    }
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
      [HEADER.error]: failure.name,
      [HEADER.errorMessage]: truncate(failure.message),
    };
    const options = this.#republishOptions(delivery, extra);
    let target = queue;
    if (delayMs > 0) {
      target = retryQueueName(queue, delayMs);
      if (!this.#declaredDelays.has(delayMs)) await this.#declareDelay(delayMs);
      // Jitter only shortens a wait (per-message TTL below the queue's), so the queue's head
      // never holds back a message behind it for longer than the queue's own delay.
      const jitter = this.options.retry.jitter;
      if (jitter > 0) options.expiration = String(Math.max(1, Math.round(delayMs * (1 - jitter * Math.random()))));
    }
    try {
      await this.#deps.republisher.send(target, delivery.body, options);
    } catch (publishError) {
      // Confirm first, then ack: without the confirm, the original goes back to the queue.
      this.#log.warn({ err: (publishError as Error).message }, 'could not publish the retry; returning the message to the queue');
      const back = this.#brokerSettle(delivery, 'requeue');
      if (back) this.#counts.requeued++;
      return back;
    }
    this.#counts.retried++;
    return this.#brokerSettle(delivery, 'ack');
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
        stack: error instanceof Error ? error.stack : undefined,
      },
      'dead-lettering message',
    );
    if (!this.options.deadLetter) {
      const ok = this.#brokerSettle(delivery, 'drop');
      if (ok) this.#counts.dropped++;
      return ok;
    }
    const issues = (error as { reason?: unknown } | undefined)?.reason === 'schema' ? failure.message : undefined;
    const headers: Record<string, unknown> = {
      [HEADER.reason]: reason,
      [HEADER.error]: failure.name,
      [HEADER.errorMessage]: truncate(failure.message),
      [HEADER.attempt]: delivery.attempt,
      [HEADER.consumer]: this.name,
      [HEADER.queue]: this.options.queue,
      [HEADER.deadLetteredAt]: new Date().toISOString(),
    };
    if (failure.code !== undefined) headers[HEADER.errorCode] = failure.code;
    if (issues !== undefined) headers[HEADER.issues] = truncate(issues, 4000);
    try {
      await this.#deps.republisher.send(deadLetterQueueName(this.options.queue), delivery.body, this.#republishOptions(delivery, headers));
    } catch (publishError) {
      // The queue's own dead-letter route still takes it (with the broker's x-death, without our reasons).
      this.#log.warn(
        { err: (publishError as Error).message },
        'could not publish to the DLQ with reasons; dead-lettering through the queue',
      );
      const ok = this.#brokerSettle(delivery, 'drop');
      if (ok) this.#counts.deadLettered++;
      return ok;
    }
    const ok = this.#brokerSettle(delivery, 'ack');
    if (ok) this.#counts.deadLettered++;
    return ok;
  }

  /** The original message's properties, for a copy sent to a retry queue, the DLQ or back to the queue. */
  #republishOptions(delivery: Delivery, extraHeaders: Record<string, unknown>): RepublishOptions {
    const p = delivery.message.properties;
    const f = delivery.message.fields;
    const headers: Record<string, unknown> = { ...(p.headers as Record<string, unknown> | undefined) };
    headers[HEADER.originalExchange] ??= f.exchange;
    headers[HEADER.originalRoutingKey] ??= f.routingKey;
    if (extraHeaders[HEADER.error] !== undefined) headers[HEADER.firstFailureAt] ??= new Date().toISOString();
    Object.assign(headers, extraHeaders);
    const options: RepublishOptions = { headers, persistent: p.deliveryMode !== 1 };
    if (p.messageId !== undefined) options.messageId = p.messageId as string;
    if (p.timestamp !== undefined) options.timestamp = p.timestamp as number;
    if (p.contentType !== undefined) options.contentType = p.contentType as string;
    if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding as string;
    if (p.correlationId !== undefined) options.correlationId = p.correlationId as string;
    if (p.replyTo !== undefined) options.replyTo = p.replyTo as string;
    if (p.type !== undefined) options.type = p.type as string;
    if (p.appId !== undefined) options.appId = p.appId as string;
    if (p.priority !== undefined) options.priority = p.priority as number;
    return options;
  }

  #setState(state: ConsumerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#deps.events.emit('consumerState', this.name, state);
  }
}
