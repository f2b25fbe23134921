import { deadLetterQueueName, retryQueueName } from '@warren/core';

/**
 * The queues to delete for `queues` a test declared: each queue, its DLQ, and among `existing`
 * every delay queue Warren made for it, `<queue>.retry.<ms>`: the configured delays' and the
 * ladder steps `RetryLater({ delayMs })` uses. Those delays are open-ended, so they are found
 * in the broker's list of queues rather than guessed; a name only counts when core's
 * `retryQueueName` makes exactly it, so `<queue>.retry.x` or another queue's are left alone.
 */
export function warrenQueues(queues: Iterable<string>, existing: Iterable<string>): string[] {
  const declared = [...queues];
  const out = new Set<string>();
  for (const q of declared) out.add(q).add(deadLetterQueueName(q));
  for (const name of existing) {
    const delay = /\d+$/.exec(name)?.[0];
    if (delay !== undefined && declared.some((q) => retryQueueName(q, Number(delay)) === name)) out.add(name);
  }
  return [...out];
}
