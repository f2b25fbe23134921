import type { Outcome } from '../consumer/outcome.js';

/** Live state of one consumer. */
/** `isolating`: intake is off while messages that were in flight when a worker died run one at a time. */
export type ConsumerState = 'idle' | 'starting' | 'consuming' | 'paused' | 'isolating' | 'recovering' | 'stopping' | 'stopped';

/** Events a running app emits; logs, metrics and health checks subscribe to them. */
export type WarrenEvents = {
  /** A delivery was settled (or could not be: `settledOnBroker` false means its channel was gone). */
  settled: [consumer: string, outcome: Outcome, durationMs: number, settledOnBroker: boolean, messageId: string | undefined];
  consumerState: [consumer: string, state: ConsumerState];
  /** A consumer's channel or subscription was lost and will be restored. */
  consumerInterrupted: [consumer: string, reason: string];
  blocked: [connection: string, reason: string];
  unblocked: [connection: string];
  /** Liveness: a consumer is attached but got nothing while its queue had ready messages. */
  stalled: [consumer: string, readyMessages: number];
  stallCleared: [consumer: string];
  listenerError: [error: unknown, event: string];
  /** A circuit breaker opened: its consumers stop taking messages for `openMs`. */
  breakerOpen: [breaker: string, consumers: string[], detail: { openMs: number; reason: string; failureRate?: number }];
  /** A breaker lets a few probes through to test the dependency. */
  breakerHalfOpen: [breaker: string, consumers: string[], detail: { probes: number }];
  breakerClosed: [breaker: string, consumers: string[]];
  /** An adaptive limit moved (the consumer's prefetch window follows it). */
  limitChanged: [consumer: string, limit: number, previous: number, reason: string];
  /** Something a policy reports (`host.emit`): its name, what happened, and details. */
  policy: [consumer: string, policy: string, event: string, detail: Record<string, unknown>];
};
