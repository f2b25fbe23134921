/** The queue a consumer's dead letters go to. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** The delay queue for retries after `delayMs`: messages wait there, then expire back to `queue`. */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}
