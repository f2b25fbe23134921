import { DELIVERY_COUNT, HEADER, intHeader } from '../message/headers.js';

/** What this process remembers of a message whose channel it lost (see InterruptedDeliveries). */
export type Interruption = 'not-started' | 'started';

export interface DeliveryFacts {
  readonly headers: Readonly<Record<string, unknown>>;
  /** The broker's redelivered flag. */
  readonly redelivered: boolean;
  readonly queueType: 'classic' | 'quorum';
  readonly redeliveryLimit: number;
  /** What this process remembers of it, if it was in flight here when its channel was lost. */
  readonly interruption: Interruption | undefined;
}

/**
 * How a delivery is taken:
 * - `run`: handle it now (`suspect`: run it alone, it was in flight when a worker died);
 * - `count`: a redelivery to count first: republish it with `attempt` (and `redeliveries`), then ack;
 * - `limit`: delivered more than redeliveryLimit times: dead-letter it without running it.
 */
export type Intake =
  | { readonly action: 'run'; readonly attempt: number; readonly suspect: boolean }
  | { readonly action: 'count'; readonly attempt: number; readonly redeliveries: number }
  | { readonly action: 'limit'; readonly attempt: number };

/**
 * Classifies a delivery. Classic queues only flag a redelivery, so Warren counts one by
 * republishing it with its attempt + 1; a quorum queue counts deliveries itself
 * (`x-delivery-count`). What is counted, on a classic queue:
 * - a redelivery this process knows it never started (it was prefetched, or Warren itself put
 *   it back) costs nothing: a network blip must not spend attempts;
 * - a redelivery whose handler was running here when the channel was lost is an attempt, but not
 *   a suspect: this process survived it;
 * - any other redelivery (a worker died with it, or lost it) is an attempt and a suspect.
 * Header values are read defensively: garbage reads as absent.
 */
export function classifyDelivery(facts: DeliveryFacts): Intake {
  const h = facts.headers;
  const attempt = intHeader(h, HEADER.attempt) || 1;
  const redeliveries = intHeader(h, HEADER.redeliveries) ?? 0;
  if (facts.queueType === 'quorum') {
    // Copies Warren made carry the earlier counts in headers; the broker counts this copy's returns.
    // One return is this process's own lost channel when it remembers the message (a node gone, a
    // blip): not a crash, so not a suspect, and no attempt if its handler never started. Without
    // this, every message in flight at a node loss would be run alone, one at a time.
    const brokerCount = intHeader(h, DELIVERY_COUNT) ?? 0;
    const ours = facts.interruption !== undefined && brokerCount > 0 ? 1 : 0;
    const suspect = brokerCount - ours > 0 || redeliveries > 0;
    const total = attempt + brokerCount - (facts.interruption === 'not-started' ? ours : 0);
    if (suspect && total > facts.redeliveryLimit) return { action: 'limit', attempt: total };
    return { action: 'run', attempt: total, suspect };
  }
  if (!facts.redelivered || facts.interruption === 'not-started') return { action: 'run', attempt, suspect: redeliveries > 0 };
  const counted = attempt + 1;
  if (counted > facts.redeliveryLimit) return { action: 'limit', attempt: counted };
  return { action: 'count', attempt: counted, redeliveries: facts.interruption === 'started' ? redeliveries : redeliveries + 1 };
}
