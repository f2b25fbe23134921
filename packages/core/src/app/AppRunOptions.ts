import type { BrokerUrlOptions } from '../connection/brokerUrl.js';
import type { ReconnectOptions } from '../connection/ConnectionManager.js';
import type { ConsumerStats } from '../consumer/ConsumerRuntime.js';
import type { WarrenError } from '../errors/WarrenError.js';
import type { WarrenEvents } from '../events/events.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsOptions } from '../observability/metrics/AppMetrics.js';
import type { PublisherOptions } from '../publisher/Publisher.js';
import type { LivenessOptions } from './LivenessMonitor.js';

/** `url` (one broker) or `urls` (several), `tls`; default: WARREN_URL, WARREN_URL_FILE, then AMQP_URL, then amqp://guest:guest@127.0.0.1:5672. */
export interface AppRunOptions extends BrokerUrlOptions {
  logger?: Logger;
  /** Overrides the app's grace period for in-flight handlers at shutdown. */
  shutdownGraceMs?: number;
  /** Heartbeat in seconds for both connections. Default 10. */
  heartbeatSec?: number;
  /** Rounds over the URLs at start before giving up. Default 1. */
  startAttempts?: number;
  /** Try the URLs in a random order (default true), so many workers spread over a cluster's nodes; false: in the order given. */
  shuffle?: boolean;
  /** Options of the app's Publisher (the one handlers inject, and retries and dead letters use). */
  publisher?: Omit<PublisherOptions, 'url' | 'urls' | 'tls' | 'connection' | 'logger'>;
  /**
   * The broker's consumer_timeout in ms (0: none), if you know it. Default: WARREN_CONSUMER_TIMEOUT_MS,
   * else asked of `rabbitmqctl` for a broker on this machine, else RabbitMQ's default (30 min).
   */
  consumerTimeoutMs?: number;
  /** Reconnect backoff for both connections (default: 200 ms doubling to 15 s, ±20 %, forever); `maxAttempts` then fails the app. */
  reconnect?: Partial<ReconnectOptions>;
  /** Stalled-consumer and blocked-connection detection; false turns it off. */
  liveness?: LivenessOptions | false;
  /** Run only these consumers (by class name or `name` option). Default: all. */
  only?: readonly string[];
  /** Prometheus metrics (`app.metrics()`): true, or options (`registry` to register into yours). Off by default. */
  metrics?: boolean | MetricsOptions;
  /** Spans and traceparent headers when an OpenTelemetry SDK is registered (see enableTracing). Default true. */
  tracing?: boolean;
}

export interface StopReport {
  /** True when every delivery was settled on the broker and every publish confirmed. */
  clean: boolean;
  durationMs: number;
  consumers: Record<string, ConsumerStats>;
}

export type AppEvents = WarrenEvents & { fatal: [error: WarrenError] };

export type AppState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
