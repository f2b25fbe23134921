import type { AdaptiveLimitOptions } from '../middleware/adaptiveLimit.js';
import type { BreakerOptions, CircuitBreaker } from '../middleware/breaker.js';
import type { Policy } from '../middleware/Middleware.js';
import type { RateLimiter, RateLimitOptions } from '../middleware/rateLimit.js';
import type { StandardSchemaV1 } from './StandardSchema.js';

export type ExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

export interface RetryOptions {
  /** Total handler attempts, the first included (so 1 = no retry). */
  attempts: number;
  /** Delay before each retry; with an array, retry n waits `delayMs[n-1]` (the last repeats). */
  delayMs: number | readonly number[];
  /** 0..1: spread each delay by ±jitter of itself. Delays are rounded to whole queues (see docs). */
  jitter?: number;
}

/** What `@Consumer(...)` takes. Every option is checked when the app starts. */
export interface ConsumerOptions {
  /** The queue to consume. Declared (durable by default) unless `declare: false`. */
  queue: string;
  /** Broker-enforced limit of unacked deliveries on this consumer (basic.qos). Default 32. */
  prefetch?: number;
  /**
   * In-process limit of handlers running at once; at most `prefetch`. Default: `prefetch`. Or
   * `{ adaptive: { min, max } }`: a limit that follows the handlers' latency and failures, with the
   * broker's prefetch window following it (README, "Adaptive concurrency").
   */
  concurrency?: number | { adaptive: AdaptiveLimitOptions };
  /**
   * A circuit breaker on the dependency the handler calls: when it fails, the consumer stops
   * taking messages (they stay in the queue) instead of failing them. Options for a breaker of
   * its own, or a `CircuitBreaker` shared with other consumers that call the same dependency.
   */
  breaker?: BreakerOptions | CircuitBreaker;
  /** A token bucket before the handler: options for a bucket of its own, or a shared `RateLimiter`. */
  rateLimit?: RateLimitOptions | RateLimiter;
  /** Queue durability. Default true. */
  durable?: boolean;
  /**
   * 'classic' or 'quorum' (replicated over a cluster's nodes; its retry queues and DLQ are quorum
   * too). Default: the app's `defaults.queueType`, else 'classic'.
   */
  queueType?: 'classic' | 'quorum';
  /**
   * One worker at a time takes from the queue (`x-single-active-consumer`), the others wait and take
   * over when it stops or dies: for queues whose order matters. Needs `queueType: 'quorum'`;
   * `concurrency` defaults to 1 (handlers one at a time, in order). Default false. docs/scaling.md.
   */
  singleActiveConsumer?: boolean;
  /** Extra queue arguments (x-max-length, ...). Warren sets the dead-letter ones itself. */
  arguments?: Readonly<Record<string, unknown>>;
  /** Declare the queue and its retry/DLQ queues (default true); false only checks they exist. */
  declare?: boolean;
  /** Bind the queue to this exchange (declared durable, type 'topic' unless told). */
  exchange?: string | { name: string; type?: ExchangeType; durable?: boolean };
  /** Binding key(s) for `exchange`. Default '#' for topic, '' otherwise. */
  routingKey?: string | readonly string[];
  /** Dead-letter into `<queue>.dlq` (default true). With false, a dead-lettered message is dropped: logged and counted. */
  deadLetter?: boolean;
  /** Delayed retries through the broker. Default: none (a failure dead-letters at once). */
  retry?: RetryOptions;
  /** Most deliveries of one message, counting broker redeliveries (crash, connection loss); then dead-letter. Default 5. */
  redeliveryLimit?: number;
  /** Handler deadline: `ctx.signal` aborts, then the message is retried. */
  timeoutMs?: number;
  /** Grace for handlers at shutdown before `ctx.signal` aborts. Default 10 000 (the app's, if set). */
  shutdownGraceMs?: number;
  /** Validator for the decoded body (any Standard Schema: zod, valibot, arktype). */
  schema?: StandardSchemaV1;
  /** Largest body accepted, in bytes; larger ones are dead-lettered before decoding. Default 16 MiB. */
  maxBytes?: number;
  /**
   * How to read bodies: 'json' (default) parses application/json (and bodies with no content-type)
   * and hands a Buffer for other types; 'json-only' dead-letters any other content type;
   * 'buffer' always hands the raw Buffer.
   */
  decode?: 'json' | 'json-only' | 'buffer';
  /**
   * This consumer's own policies, outermost first: each a `Middleware` or a factory
   * `(host) => Middleware`. They run inside the app's policies and the deadline, outside the
   * concurrency limit. Checked (and `validate()`d) when the app starts.
   */
  use?: readonly Policy[];
  /** A name for logs and metrics. Default: the class name. */
  name?: string;
}
