import { PublishUnconfirmedError } from '../errors/publishErrors.js';
import { TopologyError } from '../errors/WarrenError.js';

/** A message is re-sent on a fresh channel at most this many times, so a message that kills its channel cannot loop. */
export const MAX_SENDS = 4;

/** What the fate of a publish lost with its channel depends on. */
export interface LostPublish {
  readonly exchange: string;
  /** Times written so far. */
  readonly sends: number;
}

export interface ChannelLossOptions {
  /** Re-send unconfirmed messages after any loss, not only after a 404 (at-least-once). */
  readonly republishUnconfirmed: boolean;
  /** Default MAX_SENDS. */
  readonly maxSends?: number;
}

export interface ChannelLossFate<T> {
  /** To write again on the next channel, oldest first. */
  readonly resend: T[];
  /** To settle now, each with its error. */
  readonly reject: Array<{ readonly entry: T; readonly error: TopologyError | PublishUnconfirmedError }>;
}

/** amqplib's reply text for a publish to a missing exchange, e.g. "NOT_FOUND - no exchange 'x' in vhost '/'". */
const NO_EXCHANGE = /no exchange '((?:[^']|'(?! in vhost))*)' in vhost/;

/**
 * The exchange a channel error reports missing. Matched on the 404 code; the name is only in the
 * reply text, so it is read from there (a quote in the name is kept: the text ends at "' in vhost").
 */
export function missingExchange(error: Error | undefined): string | undefined {
  if ((error as { code?: unknown } | undefined)?.code !== 404) return undefined;
  return NO_EXCHANGE.exec(error?.message ?? '')?.[1];
}

/**
 * The fate of messages written but unconfirmed when their confirm channel closed (pass only those):
 * - a 404 for a missing exchange closed it: messages to that exchange fail (TopologyError); the
 *   others ("innocent") are re-sent on a fresh channel. Those written after the bad one were
 *   discarded by the broker, but one written before it may already be in its queue with its ack
 *   lost in the close, so re-sending is at-least-once: a duplicate is possible, a loss is not.
 * - anything else (connection lost, other channel error): PublishUnconfirmedError, or re-sent
 *   when republishUnconfirmed is on (again at-least-once).
 * A message already sent maxSends times fails instead of going out again.
 */
export function fateOnChannelLoss<T extends LostPublish>(
  entries: Iterable<T>,
  error: Error | undefined,
  options: ChannelLossOptions,
): ChannelLossFate<T> {
  const badExchange = missingExchange(error);
  const maxSends = options.maxSends ?? MAX_SENDS;
  const fate: ChannelLossFate<T> = { resend: [], reject: [] };
  for (const entry of entries) {
    if (badExchange !== undefined && entry.exchange === badExchange) {
      fate.reject.push({ entry, error: new TopologyError(`exchange '${badExchange}' does not exist (404 NOT_FOUND)`, { cause: error }) });
    } else if ((badExchange !== undefined || options.republishUnconfirmed) && entry.sends < maxSends) {
      fate.resend.push(entry);
    } else {
      const message = `the channel closed before the broker confirmed this message (${error?.message ?? 'connection lost'}); it may or may not be in the queue`;
      fate.reject.push({ entry, error: new PublishUnconfirmedError(message, { cause: error }) });
    }
  }
  return fate;
}
