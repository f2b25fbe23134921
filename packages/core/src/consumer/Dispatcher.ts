import { RequestCancelledError } from '../errors/requestErrors.js';
import { ClosedError } from '../errors/WarrenError.js';
import type { Logger } from '../logging/logger.js';
import { withMessageDeadline } from '../message/deadlineScope.js';
import { messageDeadline, requestDeadline } from '../message/headers.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import { messageTracer, type TracedDelivery } from '../message/tracing.js';
import type { LimitPolicy } from '../middleware/adaptiveLimit.js';
import { ConcurrencyLimit } from '../middleware/concurrencyLimit.js';
import { createPolicies } from '../middleware/createPolicies.js';
import { Deadline } from '../middleware/deadline.js';
import { type ConsumerHost, compose, type Middleware, type Next, type Policy, type PolicyFactory } from '../middleware/Middleware.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { Delivery } from './Delivery.js';
import { decodeBody } from './decode.js';
import type { InFlight } from './InFlight.js';
import { type InterruptedDeliveries, identityOf } from './InterruptedDeliveries.js';
import { decideOutcome, describeFailure, type Ending, SUCCEEDED } from './outcome.js';
import type { Replier } from './Replier.js';
import { classifyDelivery } from './redelivery.js';
import type { Settler } from './Settler.js';
import type { SuspectIsolator } from './SuspectIsolator.js';
import { validatePayload } from './validate.js';

/** What a consumer class must have: the app's `Worker` subclasses do. */
export interface MessageHandler {
  handle(payload: unknown, ctx: Delivery): unknown;
}

export interface DispatcherDeps {
  options: ResolvedConsumerOptions;
  handler: MessageHandler;
  settler: Settler;
  isolator: SuspectIsolator;
  inFlight: InFlight;
  interrupted: InterruptedDeliveries;
  log: Logger;
  host: ConsumerHost;
  appPolicies: readonly Policy[];
  replier: Replier;
}

const CANCELLED = new RequestCancelledError("the request's caller cancelled it");
const HANDING_OVER = new ClosedError('this single active consumer is stopping: the next worker takes over');
/** Cancel notices kept for requests not yet arrived. */
const MAX_CANCELLED = 10_000;
/** The work of a delivery settled at once (a plain ack: Settler.settle returned no promise). */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The way of one delivery through a consumer:
 *
 *   classify (attempt, suspect) -> decode -> validate -> policies -> handler -> decide -> settle once
 *
 * The policies are composed once, outermost first:
 *
 *   the app's (`defineApp({ use })`) → deadline → breaker → rate limit → the consumer's own
 *   (`@Consumer({ use })`) → concurrency limit (static or adaptive) → handler
 *
 * The app's policies see each delivery as it comes. The deadline wraps the rest, so time spent
 * waiting in them counts (the broker's consumer_timeout counts it too); it is always there, as a
 * publisher may set x-warren-deadline. The breaker comes before the rate limit, so a delivery
 * that finds it open goes back at once instead of spending a token. The concurrency limit is
 * innermost, so a handler holds its slot only while it runs, and keeps it until it really ends,
 * even past its deadline.
 */
export class Dispatcher {
  readonly deadline: Deadline;
  readonly limit: LimitPolicy;
  readonly policies: readonly Middleware[];
  received = 0;
  lastDeliveryAt = 0;
  /** Requests dropped on arrival: their caller had already cancelled them. */
  cancelledBeforeStart = 0;
  readonly #cancelled = new Map<string, number>();
  readonly #d: DispatcherDeps;
  readonly #pipeline: Next;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    const o = deps.options;
    this.deadline = new Deadline(o.timeoutMs);
    // Warren's own policies, in DESIGN.md's order: deadline, breaker, rate limit, concurrency.
    const own = (factory: PolicyFactory | undefined): Middleware[] =>
      factory === undefined ? [] : createPolicies(o.name, [factory], deps.host);
    const [adaptive] = own(o.adaptive);
    this.limit = (adaptive as LimitPolicy | undefined) ?? new ConcurrencyLimit(o.concurrency);
    this.policies = [
      ...createPolicies(o.name, deps.appPolicies, deps.host),
      this.deadline,
      ...own(o.breaker),
      ...own(o.rateLimit),
      ...createPolicies(o.name, o.use, deps.host),
      this.limit,
    ];
    this.#pipeline = compose(this.policies, this.#callHandler);
  }

  readonly onMessage = (message: ReceivedMessage, generation: number): void => {
    const { options, interrupted, settler, isolator } = this.#d;
    this.received++;
    this.lastDeliveryAt = Date.now();
    const redelivered = message.fields.redelivered;
    const intake = classifyDelivery({
      headers: message.properties.headers ?? {},
      redelivered,
      queueType: options.queueType,
      redeliveryLimit: options.redeliveryLimit,
      interruption: redelivered && interrupted.size > 0 ? interrupted.take(identityOf(message)) : undefined,
    });
    const delivery = new Delivery(message, generation, options.name, options.queue, intake.attempt, this.#d.log);
    if (intake.action === 'run') delivery.suspect = intake.suspect;
    // In flight (unsettled) until settled: isolation waits for it before starting a suspect.
    this.#d.inFlight.add(delivery);
    // A stopping single active consumer keeps its subscription until its channel closes
    // (ConsumerRuntime.stop): what still arrives does not start, and goes back with the close.
    if (options.singleActiveConsumer && this.#d.host.stopSignal.aborted) delivery.abort(HANDING_OVER, 'shutdown');
    let work: Promise<void>;
    if (intake.action === 'limit') {
      const why = new Error(`delivered ${intake.attempt} times, more than redeliveryLimit (${options.redeliveryLimit})`);
      work = settler.settle(delivery, { action: 'dead-letter', reason: 'redelivery-limit' }, why) ?? SETTLED;
    } else if (intake.action === 'count') {
      work = settler.countRedelivery(delivery, intake.redeliveries, (d) => this.process(d));
    } else if (this.#cancelled.size > 0 && this.#wasCancelled(message)) {
      this.cancelledBeforeStart++;
      work = settler.settle(delivery, { action: 'ack' }, undefined) ?? SETTLED;
    } else if ((intake.suspect && !options.singleActiveConsumer) || isolator.active) {
      // Isolation hands bystanders back to the back of the queue: a single active consumer, there
      // for the queue's order, runs suspects in order instead (its concurrency is 1 by default).
      isolator.take(delivery, intake.suspect);
      return;
    } else {
      work = this.process(delivery);
    }
    work.then(this.#ended, this.#bugThenEnded);
  };

  process(delivery: Delivery): Promise<void> {
    const tracer = messageTracer();
    if (tracer === undefined) return this.#process(delivery);
    return tracer.receive(tracedDelivery(delivery), (trace) => {
      delivery.trace = trace;
      return this.#process(delivery);
    });
  }

  async #process(delivery: Delivery): Promise<void> {
    const options = this.#d.options;
    let ending: Ending = SUCCEEDED;
    try {
      const payload = decodeBody(delivery.body, delivery.properties.contentType, options);
      delivery.payload = options.schema === undefined ? payload : await validatePayload(options.schema, payload);
      await this.#pipeline(delivery);
    } catch (error) {
      // Whatever was thrown, `undefined` included, is a failure: only a fulfilled handler acks.
      const cause = delivery.abortCause;
      ending = {
        ok: false,
        error,
        started: delivery.started,
        interruptedByShutdown: cause === 'shutdown',
        cancelledByCaller: cause === 'cancelled',
        isRequest: delivery.properties.replyTo !== undefined,
      };
    }
    const outcome = decideOutcome(ending, delivery.attempt, options.retry);
    const error = ending.ok ? undefined : ending.error;
    if (delivery.properties.replyTo !== undefined) this.#d.replier.answer(delivery, outcome, ending);
    if (delivery.trace === undefined) {
      // A plain ack is done at once (undefined): awaiting it would only make a promise.
      const settling = this.#d.settler.settle(delivery, outcome, error);
      if (settling !== undefined) await settling;
    } else await delivery.trace.settle(outcome.action, async () => this.#d.settler.settle(delivery, outcome, error));
  }

  /**
   * A request's caller gave up (a cancel notice): its handler's signal aborts, or, if it has not
   * arrived yet, it is dropped when it does (until its deadline).
   */
  cancel(correlationId: string, deadline: number): void {
    for (const d of this.#d.inFlight) {
      if (d.properties.correlationId === correlationId && d.properties.replyTo !== undefined) {
        d.abort(CANCELLED, 'cancelled');
        return;
      }
    }
    const now = Date.now();
    if (deadline <= now) return;
    // Bounded: notices whose deadline has passed go (their requests expire anyway), then the oldest.
    for (const [id, at] of this.#cancelled) {
      if (at > now && this.#cancelled.size < MAX_CANCELLED) break;
      this.#cancelled.delete(id);
    }
    this.#cancelled.set(correlationId, deadline);
  }

  /**
   * Whether a request arriving now was cancelled before it came: a request (it has replyTo) with
   * that correlationId and the very deadline the notice names (a Warren request's id carries it,
   * requestCorrelationId; else its header). A correlationId alone is not enough: apps reuse them (tracing ids carried onto follow-up jobs), and those must never drop.
   */
  #wasCancelled(message: ReceivedMessage): boolean {
    const { correlationId, replyTo } = message.properties;
    if (correlationId === undefined || replyTo === undefined) return false;
    const deadline = this.#cancelled.get(correlationId);
    if (deadline === undefined || (requestDeadline(correlationId) ?? messageDeadline(message.properties)) !== deadline) return false;
    this.#cancelled.delete(correlationId);
    return true;
  }

  /**
   * The innermost step: runs the handler and keeps its result on the delivery. Not an async
   * function: the handler's own promise, then one `then` for the result, is all it makes.
   */
  readonly #callHandler: Next = (ctx) => {
    if (!(ctx instanceof Delivery))
      return Promise.reject(new TypeError('a policy called next() with a context other than the one it was given'));
    if (ctx.aborted) return Promise.reject(ctx.abortReason);
    ctx.started = true;
    let running: unknown;
    try {
      // What the handler publishes carries the caller's deadline (the message's own, not timeoutMs:
      // our own limit on this attempt says nothing about when its caller gives up).
      if (ctx.trace !== undefined) running = ctx.trace.handle(() => this.#runHandler(ctx));
      else if (ctx.messageDeadline === undefined) running = this.#d.handler.handle(ctx.payload, ctx);
      else running = this.#runHandler(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
    // A promise is taken as it is; a value or another thenable as `await` would take it.
    return Promise.resolve(running).then((result) => {
      ctx.result = result;
    });
  };

  #runHandler(ctx: Delivery): Promise<unknown> {
    return withMessageDeadline(ctx.messageDeadline, () => this.#d.handler.handle(ctx.payload, ctx));
  }

  readonly #bug = (error: unknown): void => {
    this.#d.log.error({ err: describeFailure(error).message }, 'bug: a delivery was not settled by the book');
  };

  readonly #ended = (): void => this.#d.inFlight.ended();

  readonly #bugThenEnded = (error: unknown): void => {
    this.#bug(error);
    this.#ended();
  };
}

/** What a tracer reads of a delivery when its span starts. */
function tracedDelivery(d: Delivery): TracedDelivery {
  const { properties, fields } = d.message;
  return {
    consumer: d.consumer,
    queue: d.queue,
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    headers: d.amqpHeaders,
    messageId: properties.messageId,
    correlationId: properties.correlationId,
    attempt: d.attempt,
    redelivered: fields.redelivered,
  };
}
