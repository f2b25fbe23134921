import { BreakerOpenError, DeadlineExceededError, DecodeError, DependencyDown, Reject, RetryLater } from '../errors/handlerErrors.js';

export type DeadLetterReason = 'rejected' | 'exhausted' | 'decode' | 'redelivery-limit' | 'expired';

/** What happens to a delivery once its handling is over. Decided here and nowhere else. */
export type Outcome =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead-letter'; readonly reason: DeadLetterReason }
  /** Back to the queue with its counts unchanged: the message was not at fault (shutdown, or it never started). */
  | { readonly action: 'requeue' };

export interface RetryPolicy {
  readonly attempts: number;
  readonly delaysMs: readonly number[];
}

/**
 * How one handling ended. Success is "the handler's promise fulfilled", nothing else: a
 * rejection with `undefined` (`Promise.reject()`, `throw undefined`) is a failure like any other.
 */
export type Ending =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** What it rejected with: anything at all, `undefined` included. */
      readonly error: unknown;
      /** Whether the handler was called (decoding, or a deadline passed while waiting for a slot, come first). */
      readonly started: boolean;
      /** Cut short by shutdown's grace period running out. */
      readonly interruptedByShutdown: boolean;
      /** A request whose caller gave up (its cancel notice came): settled without a reply, not retried. */
      readonly cancelledByCaller?: boolean;
      /** A request (it has replyTo): when its deadline passes it is dropped, not dead-lettered. */
      readonly isRequest?: boolean;
    };

export const SUCCEEDED: Ending = Object.freeze({ ok: true });

/** The longest retry delay: a day, so a typo cannot park messages for years. */
export const MAX_DELAY_MS = 86_400_000;

const ACK: Outcome = { action: 'ack' };
const REQUEUE: Outcome = { action: 'requeue' };

/**
 * The ack policy: success acks; a decode or schema failure, `Reject` or `UnrecoverableError`
 * dead-letters now; a message whose own deadline (`x-warren-deadline`) passed before its handler
 * started is dead-lettered as expired; work cut short by shutdown, or whose `timeoutMs` ran out
 * before the handler got a slot, goes back to the queue uncounted; anything else (`RetryLater`, a
 * deadline, any other error) retries after a delay while attempts remain, then dead-letters.
 */
export function decideOutcome(ending: Ending, attempt: number, retry: RetryPolicy): Outcome {
  if (ending.ok) return ACK;
  try {
    return decideFailure(ending, attempt, retry);
  } catch {
    // A thrown value whose properties throw when read (a hostile Proxy): an ordinary failure.
    return decideFailure({ ...ending, error: undefined }, attempt, retry);
  }
}

function decideFailure(ending: Extract<Ending, { ok: false }>, attempt: number, retry: RetryPolicy): Outcome {
  const error = ending.error;
  if (isA(error, DecodeError)) return { action: 'dead-letter', reason: 'decode' };
  if (ending.interruptedByShutdown) return REQUEUE;
  if (ending.cancelledByCaller === true) return ACK;
  // The dependency is down and a breaker stopped intake for it: not the message's fault. (Without
  // a breaker, DependencyDown retries after its retryAfterMs, below: a put-back would spin.)
  if ((isA(error, DependencyDown) && error.breakerOpened) || isA(error, BreakerOpenError)) return REQUEUE;
  if (isA(error, DeadlineExceededError)) {
    // The message's own deadline passed, before or while it ran: its caller has given up, so a
    // retry is pointless. A request is dropped (its caller already heard RequestTimeoutError);
    // any other message is dead-lettered as expired.
    if (error.fromMessage) return ending.isRequest === true ? ACK : { action: 'dead-letter', reason: 'expired' };
    // Our own timeoutMs passed while it waited for a slot: not the message's fault, and not an attempt.
    if (!ending.started) return REQUEUE;
  }
  if (isA(error, Reject)) return { action: 'dead-letter', reason: 'rejected' };
  if (!(attempt < retry.attempts)) return { action: 'dead-letter', reason: 'exhausted' };
  const listed = retry.delaysMs[Math.min(attempt, retry.delaysMs.length) - 1] ?? 0;
  const configured = Number.isInteger(listed) && listed >= 0 && listed <= MAX_DELAY_MS ? listed : 0;
  const own = isA(error, RetryLater) ? error.delayMs : isA(error, DependencyDown) ? error.retryAfterMs : undefined;
  const delayMs = own !== undefined && Number.isInteger(own) && own >= 0 && own <= MAX_DELAY_MS ? own : configured;
  return { action: 'retry', delayMs };
}

/** `instanceof` that never throws (a Proxy's getPrototypeOf trap can). */
function isA<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

export interface FailureDescription {
  name: string;
  message: string;
  code: string | undefined;
}

/** Longest name or message kept from a thrown value (headers and logs must stay small). */
const MAX_DESCRIPTION = 8000;

/**
 * The class name, message and code of whatever a handler threw, for headers and logs. Never
 * throws, whatever it is given: a getter that throws, a Proxy, `Object.create(null)`, a symbol.
 */
export function describeFailure(error: unknown): FailureDescription {
  try {
    return describe(error);
  } catch {
    return { name: 'unknown', message: 'the handler failed with a value that cannot be described', code: undefined };
  }
}

function describe(error: unknown): FailureDescription {
  if (error === undefined || error === null) {
    return { name: String(error), message: `the handler failed with ${String(error)} (no error given)`, code: undefined };
  }
  if (typeof error !== 'object' && typeof error !== 'function') {
    return { name: typeof error, message: clip(String(error)), code: undefined };
  }
  const record = error as { name?: unknown; message?: unknown; code?: unknown };
  const name = read(record, 'name');
  const message = read(record, 'message');
  const code = read(record, 'code');
  return {
    name: typeof name === 'string' && name !== '' ? clip(name, 200) : isA(error, Error) ? 'Error' : 'object',
    message: typeof message === 'string' ? clip(message) : `the handler failed with ${objectTag(error)}`,
    code: typeof code === 'string' ? clip(code, 200) : undefined,
  };
}

/** A property, or undefined if reading it throws. */
function read(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function objectTag(value: object): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return 'an object';
  }
}

function clip(text: string, max = MAX_DESCRIPTION): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
