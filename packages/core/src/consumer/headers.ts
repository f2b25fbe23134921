/** Headers Warren reads and writes. All start with x-warren- so they never clash with an app's. */
export const HEADER = {
  attempt: 'x-warren-attempt',
  /** Broker redeliveries Warren has counted (classic queues flag a redelivery but do not count it). */
  redeliveries: 'x-warren-redeliveries',
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
} as const;

/** Longest text Warren writes into one header: headers must fit amqplib's 64 KiB table and the broker's frame. */
export const MAX_HEADER_TEXT = 1000;

export function truncate(text: string, max = MAX_HEADER_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Reads a non-negative integer header, tolerating numbers sent as strings or longs. */
export function intHeader(headers: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const v = headers[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
