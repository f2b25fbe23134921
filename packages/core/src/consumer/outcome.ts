import { DecodeError, Reject, RetryLater } from '../errors/handlerErrors.js';

export type DeadLetterReason = 'rejected' | 'exhausted' | 'decode' | 'redelivery-limit';

/** What happens to a delivery once its handling is over. Decided here and nowhere else. */
export type Outcome =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead-letter'; readonly reason: DeadLetterReason }
  /** Back to the queue as it is: work interrupted by shutdown, through no fault of the message. */
  | { readonly action: 'requeue' };

export interface RetryPolicy {
  readonly attempts: number;
  readonly delaysMs: readonly number[];
}

const ACK: Outcome = { action: 'ack' };
const REQUEUE: Outcome = { action: 'requeue' };

/**
 * The ack policy: success acks; a decode or schema failure, `Reject` or `UnrecoverableError`
 * dead-letters now; work cut short by shutdown goes back to the queue; anything else
 * (`RetryLater`, a deadline, any other error) retries after a delay while attempts remain,
 * then dead-letters.
 */
export function decideOutcome(error: unknown, attempt: number, retry: RetryPolicy, interruptedByShutdown = false): Outcome {
  if (error === undefined) return ACK;
  if (interruptedByShutdown && !(error instanceof DecodeError)) return REQUEUE;
  if (error instanceof DecodeError) return { action: 'dead-letter', reason: 'decode' };
  if (error instanceof Reject) return { action: 'dead-letter', reason: 'rejected' };
  if (attempt >= retry.attempts) return { action: 'dead-letter', reason: 'exhausted' };
  const configured = retry.delaysMs[Math.min(attempt, retry.delaysMs.length) - 1] ?? 0;
  const own = error instanceof RetryLater ? error.delayMs : undefined;
  // A delay queue per distinct delay: only whole ms up to a day, else the configured delay.
  const delayMs = own !== undefined && Number.isInteger(own) && own >= 0 && own <= 86_400_000 ? own : configured;
  return { action: 'retry', delayMs };
}

/** The class name and message of what a handler threw, for headers and logs. */
export function describeFailure(error: unknown): { name: string; message: string; code: string | undefined } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined };
  }
  return { name: typeof error, message: String(error), code: undefined };
}
