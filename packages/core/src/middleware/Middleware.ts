import type { WarrenEvents } from '../events/events.js';
import type { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';

/**
 * What a policy sees of a delivery: narrower than the handler's MessageContext, so a policy
 * depends on what back-pressure needs, not on AMQP.
 */
export interface ConsumeContext<T = unknown> {
  readonly consumer: string;
  readonly queue: string;
  readonly messageId: string | undefined;
  /** The decoded (and validated) body. */
  readonly payload: T;
  /** The message's headers, without Warren's control headers. */
  readonly headers: Readonly<Record<string, unknown>>;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** When the delivery arrived (ms since the epoch). */
  readonly receivedAt: number;
  /** The message's own deadline (`x-warren-deadline`, ms since the epoch): its caller gives up then. */
  readonly messageDeadline: number | undefined;
  /** The earliest deadline known before policies run: the message's own, or one Warren imposes. */
  readonly deadline: number | undefined;
  /** Whether the handler has been called (a policy further out may still hold the delivery). */
  readonly started: boolean;
  /** Aborts on a deadline, at shutdown, when the channel is lost, or when a policy calls `abort`. */
  readonly signal: AbortSignal;
  readonly aborted: boolean;
  readonly abortReason: unknown;
  /** Aborts the handler's signal; the delivery then fails with `reason` (retried or dead-lettered, as any failure). */
  abort(reason: Error): void;
}

/** The rest of the pipeline: the next policy, and in the end the handler. Call it with the `ctx` you were given. */
export type Next = (ctx: ConsumeContext) => Promise<void>;

/**
 * A back-pressure policy. `run` wraps the rest of the pipeline: it may wait before calling
 * `next` (the delivery stays unacked and holds its prefetch slot, so the broker sends no more:
 * it slows intake without buffering), short-circuit by throwing (`Reject` dead-letters,
 * `RetryLater` retries, any error fails the attempt), or act on the outcome. `describe` reports
 * its limits and live state (health, metrics, the startup log). `validate`, if present, runs when
 * the app is created, before any connection opens; a throw names the consumer and the policy.
 */
export interface Middleware {
  readonly name: string;
  run(ctx: ConsumeContext, next: Next): Promise<void>;
  describe(): Record<string, unknown>;
  validate?(): void;
}

/** What a policy factory gets: one consumer's controls. */
export interface ConsumerHost {
  readonly consumer: string;
  readonly queue: string;
  /** The consumer's configured prefetch (the broker's unacked limit). */
  readonly prefetch: number;
  readonly log: Logger;
  /** The app's typed events: a policy may emit its own through `emit` below, and listen to any. */
  readonly events: TypedEvents<WarrenEvents>;
  /** Aborts when the consumer begins to stop. */
  readonly stopSignal: AbortSignal;
  /** Deliveries taken and not yet settled, right now. */
  inFlight(): number;
  /**
   * Stops intake for `reason` (the broker consumer is cancelled: the queue keeps its messages,
   * ready for other workers); in-flight work goes on. Intake resumes when every reason is gone.
   */
  pause(reason: string): Promise<void>;
  resume(reason: string): Promise<void>;
  /** The prefetch window at the broker right now (it starts at the configured prefetch). */
  prefetchNow(): number;
  /**
   * Caps the prefetch window at the broker for `owner` (a policy's name), live: at most `n`
   * deliveries unacked from now on (fewer is reached by not taking more until enough are
   * settled). The window is the smallest cap of all owners, never above the configured prefetch,
   * so two policies (a breaker's probes, an adaptive limit) cannot undo each other; `undefined`
   * lifts this owner's cap. 1..`prefetch`; how it takes effect: docs/lifecycle.md, "A live prefetch window".
   */
  setPrefetch(n: number | undefined, owner?: string): Promise<void>;
  /**
   * The queue's ready messages and its consumers (all workers, this one included while it
   * consumes), from a passive declare on a side channel: one broker round trip, so call it at a
   * bounded rate. Undefined if the broker cannot tell within 5 s.
   */
  queueStats(): Promise<{ ready: number; consumers: number } | undefined>;
  /** Emits a `policy` event: (consumer, policy, event, detail). */
  emit(policy: string, event: string, detail?: Record<string, unknown>): void;
}

/** A policy that needs per-consumer state or the consumer's controls: called once per consumer. */
export type PolicyFactory = (host: ConsumerHost) => Middleware;

/** What `use: [...]` takes: a policy shared as it is, or a factory. */
export type Policy = Middleware | PolicyFactory;

/**
 * Builds the pipeline once, at start, outermost first: each layer's `next` is a fixed function,
 * so no closure is allocated per message.
 */
export function compose(middlewares: readonly Middleware[], handler: Next): Next {
  let next = handler;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const mw = middlewares[i] as Middleware;
    const inner = next;
    next = (ctx) => mw.run(ctx, inner);
  }
  return next;
}
