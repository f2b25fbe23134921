import type { Logger } from '../logging/logger.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
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
import { classifyDelivery } from './redelivery.js';
import type { Settler } from './Settler.js';
import type { SuspectIsolator } from './SuspectIsolator.js';
import { validatePayload } from './validate.js';

/** What a consumer class must have: the app's `Worker` subclasses do. */
export interface MessageHandler {
  handle(payload: unknown, ctx: Delivery): Promise<void> | void;
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
}

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
    // In flight (unsettled) until settled: isolation waits for it before starting a suspect.
    this.#d.inFlight.add(delivery);
    let work: Promise<void>;
    if (intake.action === 'limit') {
      const why = new Error(`delivered ${intake.attempt} times, more than redeliveryLimit (${options.redeliveryLimit})`);
      work = settler.settle(delivery, { action: 'dead-letter', reason: 'redelivery-limit' }, why);
    } else if (intake.action === 'count') {
      work = settler.countRedelivery(delivery, intake.redeliveries, (d) => this.process(d));
    } else if (intake.suspect || isolator.active) {
      isolator.take(delivery, intake.suspect);
      return;
    } else {
      work = this.process(delivery);
    }
    work.catch(this.#bug).finally(this.#ended);
  };

  async process(delivery: Delivery): Promise<void> {
    const options = this.#d.options;
    let ending: Ending = SUCCEEDED;
    try {
      const payload = decodeBody(delivery.body, delivery.properties.contentType, options);
      delivery.payload = options.schema === undefined ? payload : await validatePayload(options.schema, payload);
      await this.#pipeline(delivery);
    } catch (error) {
      // Whatever was thrown, `undefined` included, is a failure: only a fulfilled handler acks.
      ending = { ok: false, error, started: delivery.started, interruptedByShutdown: delivery.abortCause === 'shutdown' };
    }
    await this.#d.settler.settle(delivery, decideOutcome(ending, delivery.attempt, options.retry), ending.ok ? undefined : ending.error);
  }

  readonly #callHandler: Next = async (ctx) => {
    if (!(ctx instanceof Delivery)) throw new TypeError('a policy called next() with a context other than the one it was given');
    if (ctx.aborted) throw ctx.abortReason;
    ctx.started = true;
    await this.#d.handler.handle(ctx.payload, ctx);
  };

  readonly #bug = (error: unknown): void => {
    this.#d.log.error({ err: describeFailure(error).message }, 'bug: a delivery was not settled by the book');
  };

  readonly #ended = (): void => this.#d.inFlight.ended();
}
