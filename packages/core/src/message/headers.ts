import { newUuid } from './uuid.js';

/** Headers Warren reads and writes. All start with x-warren- so they never clash with an app's. */
export const HEADER = {
  attempt: 'x-warren-attempt',
  /** Broker redeliveries Warren has counted (classic queues flag a redelivery but do not count it). */
  redeliveries: 'x-warren-redeliveries',
  /** Absolute time (ms since the epoch) after which handling is pointless; set by a publisher. */
  deadline: 'x-warren-deadline',
  firstFailureAt: 'x-warren-first-failure-at',
  originalExchange: 'x-warren-original-exchange',
  originalRoutingKey: 'x-warren-original-routing-key',
  reason: 'x-warren-reason',
  error: 'x-warren-error',
  errorMessage: 'x-warren-error-message',
  errorCode: 'x-warren-error-code',
  issues: 'x-warren-issues',
  consumer: 'x-warren-consumer',
  queue: 'x-warren-queue',
  deadLetteredAt: 'x-warren-dead-lettered-at',
  replayedAt: 'x-warren-replayed-at',
  /** Names of the original headers left out of a copy because they could not be sent again. */
  headersDropped: 'x-warren-headers-dropped',
  /** On a reply: 'ok' (the body is the handler's return value) or 'error' (the body is { name, code, message }). */
  replyStatus: 'x-warren-reply',
} as const;

/** The broker's own delivery count on a quorum queue. */
export const DELIVERY_COUNT = 'x-delivery-count';

/**
 * Headers that steer how Warren handles a message (its attempt, its counted redeliveries, the
 * broker's count). Handlers see messages without them (`ctx.headers`), so a handler that
 * forwards its headers cannot make the next message look retried or suspect.
 */
export const CONTROL_HEADERS: ReadonlySet<string> = new Set([HEADER.attempt, HEADER.redeliveries, DELIVERY_COUNT]);

/** Longest text Warren writes into one header: headers must fit amqplib's 64 KiB table and the broker's frame. */
export const MAX_HEADER_TEXT = 1000;

export function truncate(text: string, max = MAX_HEADER_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The largest count Warren believes from a header; anything above is garbage, not a count. */
export const MAX_COUNT = 1_000_000;

const DIGITS = /^\d{1,16}$/;

/**
 * Reads a whole number from a header written by anyone: a number, a string of digits or a
 * bigint (AMQP longs), within 0..`max`. Anything else — an empty string, text, a negative, a
 * fraction, a huge value, an array, a table, void — reads as absent, never as 0.
 */
export function intHeader(headers: Readonly<Record<string, unknown>>, name: string, max = MAX_COUNT): number | undefined {
  // Own properties only: amqplib decodes a foreign header named "__proto__" into the prototype.
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && DIGITS.test(v)) n = Number(v);
  else if (typeof v === 'bigint') n = v >= 0n && v <= BigInt(max) ? Number(v) : Number.NaN;
  else return undefined;
  return Number.isSafeInteger(n) && n >= 0 && n <= max ? n : undefined;
}

/** Latest deadline Warren takes seriously: year 2200 in ms. Beyond it a value is garbage. */
const MAX_DEADLINE_MS = 7_258_118_400_000;

/** A message's `x-warren-deadline` (ms since the epoch), or undefined when absent or not a plausible time. */
export function deadlineHeader(headers: Readonly<Record<string, unknown>>): number | undefined {
  return intHeader(headers, HEADER.deadline, MAX_DEADLINE_MS) || undefined;
}

/**
 * A request's correlation id, which carries its deadline: `w1.<deadline ms>.<uuid>`. Not a
 * header, as every request has a deadline and headers cost the broker: measured with raw amqplib
 * at 100 concurrent callers on RabbitMQ 3.10, a one-entry header on the request and on the reply
 * cost 14–22% of the round trips per second (the broker's CPU per request rose with them).
 */
export function requestCorrelationId(deadline: number): string {
  // One flat string (uuid.ts): a template joining the UUID would be flattened again by amqplib.
  return newUuid(`${REQUEST_ID_PREFIX}${deadline}.`);
}

const REQUEST_ID_PREFIX = 'w1.';
const REQUEST_ID = /^w1\.(\d{1,16})\./;

/** The deadline a Warren request's correlation id carries, or undefined for any other id. */
export function requestDeadline(correlationId: string): number | undefined {
  if (!correlationId.startsWith(REQUEST_ID_PREFIX)) return undefined;
  const m = REQUEST_ID.exec(correlationId);
  const n = m === null ? 0 : Number(m[1]);
  return n > 0 && n <= MAX_DEADLINE_MS ? n : undefined;
}

/**
 * When the caller of a received message gives up: its `x-warren-deadline`, or, for a request as
 * its caller sent it, the deadline in its correlation id, whichever is sooner (a request made by
 * a handler also carries that handler's caller's deadline). A retry or dead-letter copy (it has
 * `x-warren-original-exchange`) or a replayed dead letter (`x-warren-replayed-at`) is a new
 * start: only a header it was given counts.
 */
export function messageDeadline(properties: {
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  readonly correlationId?: unknown;
  readonly replyTo?: unknown;
}): number | undefined {
  const { headers, correlationId } = properties;
  const own = headers === undefined ? undefined : deadlineHeader(headers);
  if (typeof correlationId !== 'string' || typeof properties.replyTo !== 'string') return own;
  if (headers !== undefined && (Object.hasOwn(headers, HEADER.originalExchange) || Object.hasOwn(headers, HEADER.replayedAt))) return own;
  const request = requestDeadline(correlationId);
  return request === undefined || (own !== undefined && own < request) ? own : request;
}

/** RabbitMQ's direct reply-to pseudo-queue: replies come back on the requesting channel, no queue per call. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * The fanout exchange callers tell responders on to stop work on a request (`{ correlationId,
 * deadline }`): every Warren app binds an exclusive queue of its own to it.
 */
export const CANCEL_EXCHANGE = 'warren.cancel';
