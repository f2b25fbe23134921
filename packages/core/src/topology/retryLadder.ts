/**
 * The delay queues a handler's `RetryLater({ delayMs })` may use besides the configured delays:
 * a bounded ladder, so odd delays never make a durable queue each (they would pile up for ever,
 * and each is declared again on every reconnect).
 */
export const RETRY_LADDER_MS: readonly number[] = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
  43_200_000, 86_400_000,
];

/**
 * The delay of the queue a retry after `delayMs` waits in: a configured delay's own queue, else
 * the smallest ladder step at or above it. The message carries its own TTL of `delayMs`, so it
 * waits at least that long and at most the queue's delay (a message ahead of it with a longer
 * TTL holds it back: queues expire from the head).
 */
export function retryQueueDelay(delayMs: number, configured: readonly number[]): number {
  if (configured.includes(delayMs)) return delayMs;
  for (const step of RETRY_LADDER_MS) if (step >= delayMs) return step;
  return RETRY_LADDER_MS[RETRY_LADDER_MS.length - 1] as number;
}
