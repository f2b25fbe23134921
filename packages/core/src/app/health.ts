import type { QueueDepthView } from '../publisher/QueueDepthLimits.js';
import type { LivenessReport } from './LivenessMonitor.js';
import type { AppState } from './WarrenApp.js';

/** What a health check reads: `status` is 'ok', 'degraded' (running, but stalled or blocked) or 'down'. */
export interface AppHealth {
  status: HealthStatus;
  state: AppState;
  liveness: LivenessReport;
  /** `held`: publishes waiting for room in a queue at its mark; `limits`: each limited queue's mark, depth and state. */
  publisher: { state: string; inFlight: number; buffered: number; held: number; limits: QueueDepthView[] };
  consumers: Array<{
    name: string;
    queue: string;
    state: string;
    /** Why the consumer takes no messages right now (null: it does). */
    intakeOff: string | null;
    inFlight: number;
    /** Messages handled and acked since start. */
    acked: number;
    prefetch: number;
    /** Each policy's `describe()`: Warren's deadline and concurrency limit, and the app's own. */
    policies: Array<{ name: string } & Record<string, unknown>>;
  }>;
}

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface HealthInput {
  appState: AppState;
  /** Both connections (consume, publish) are up. */
  connected: boolean;
  liveness: LivenessReport;
  consumerStates: readonly string[];
}

/**
 * The health policy: 'down' unless the app is running; 'degraded' while a connection is down, a
 * consumer is recovering or stalled (attached, idle, while its queue has ready messages), or the
 * broker has blocked a connection for too long; else 'ok'. A paused or isolating consumer is
 * healthy: its intake is off on purpose.
 */
export function assessHealth(input: HealthInput): HealthStatus {
  if (input.appState !== 'running') return 'down';
  const troubled =
    !input.connected ||
    Object.values(input.liveness.consumers).some((c) => c.stalled) ||
    Object.values(input.liveness.connections).some((c) => c.blockedTooLong) ||
    input.consumerStates.some((state) => state === 'recovering');
  return troubled ? 'degraded' : 'ok';
}
