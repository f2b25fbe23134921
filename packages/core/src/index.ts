import 'reflect-metadata';

export { checkDeadlinesAgainstBroker } from './app/checkDeadlines.js';
export type { AppConsumerDefaults, AppDefinition, ConsumerClass, WarrenAppDefinition } from './app/defineApp.js';
export { defineApp, isAppDefinition } from './app/defineApp.js';
export type { LivenessOptions, LivenessReport } from './app/LivenessMonitor.js';
export { LivenessMonitor } from './app/LivenessMonitor.js';
export { LOGGER } from './app/tokens.js';
export type { AppEvents, AppHealth, AppRunOptions, AppState, StopReport } from './app/WarrenApp.js';
export { startApp, urlsFromEnv, WarrenApp } from './app/WarrenApp.js';
export type { TlsOptions, TlsSource, TlsSources } from './connection/brokerTls.js';
export { checkTlsForUrls, describeTls, readTlsSources, resolveTls, TLS_ENV, tlsSourcesFromEnv } from './connection/brokerTls.js';
export type { BrokerAddress, BrokerUrlOptionNames, BrokerUrlOptions } from './connection/brokerUrl.js';
export { brokerUrlsFromEnv, DEFAULT_URL, parseBrokerUrl, parseBrokerUrls, redactUrl, resolveBrokerUrls } from './connection/brokerUrl.js';
export type {
  BrokerNode,
  ConnectionEvents,
  ConnectionOptions,
  ConnectionRole,
  ConnectionState,
  ReconnectOptions,
} from './connection/ConnectionManager.js';
export { ConnectionManager } from './connection/ConnectionManager.js';
export { readSecretFile } from './connection/secretFile.js';
export type { ConsumerStats } from './consumer/ConsumerRuntime.js';
export { ConsumerRuntime } from './consumer/ConsumerRuntime.js';
export type { DeadLetterReason, Outcome } from './consumer/outcome.js';
export { decideOutcome } from './consumer/outcome.js';
export { Worker } from './consumer/Worker.js';
export { Consumer, getConsumerOptions } from './decorators/Consumer.js';
export {
  BreakerOpenError,
  DeadlineExceededError,
  DecodeError,
  DependencyDown,
  Reject,
  RetryLater,
  UnrecoverableError,
} from './errors/handlerErrors.js';
export {
  BrokerBlockedError,
  DownstreamFullError,
  InvalidPublishError,
  PublisherClosedError,
  PublishNackedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from './errors/publishErrors.js';
export {
  NoResponderError,
  RemoteError,
  ReplyLostError,
  RequestCancelledError,
  RequestTimeoutError,
} from './errors/requestErrors.js';
export type { WarrenErrorCode } from './errors/WarrenError.js';
export { ClosedError, ConfigError, ConnectionError, TopologyError, WarrenError } from './errors/WarrenError.js';
export type { ConsumerState, WarrenEvents } from './events/events.js';
export type { Disposable } from './events/TypedEvents.js';
export { TypedEvents } from './events/TypedEvents.js';
export type { Logger } from './logging/logger.js';
export { createLogger, LOG_LEVELS, REDACT_PATHS, silentLogger } from './logging/logger.js';
export { scrubSecrets } from './logging/scrubSecrets.js';
export { HEADER, requestDeadline } from './message/headers.js';
export type { DeliveryFields, MessageContext, MessageProperties } from './message/MessageContext.js';
export type { TraceParent } from './message/traceparent.js';
export { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE } from './message/traceparent.js';
export type { AdaptiveLimitOptions, LimitPolicy } from './middleware/adaptiveLimit.js';
export type { BreakerOptions, BreakerState } from './middleware/breaker.js';
export { CircuitBreaker } from './middleware/breaker.js';
export { ConcurrencyLimit } from './middleware/concurrencyLimit.js';
export { DEADLINE_HEADER, Deadline } from './middleware/deadline.js';
export type { ConsumeContext, ConsumerHost, Middleware, Next, Policy, PolicyFactory } from './middleware/Middleware.js';
export { compose } from './middleware/Middleware.js';
export type { RateLimitOptions } from './middleware/rateLimit.js';
export { RateLimiter } from './middleware/rateLimit.js';
export type { AppMetrics, MetricsOptions } from './observability/metrics/AppMetrics.js';
export type { QueueDepth } from './observability/metrics/QueueDepthSampler.js';
export { disableTracing, enableTracing } from './observability/tracing/enableTracing.js';
export type { AppliedItem, ApplyResult } from './operations/applyTopology.js';
export { appliedCleanly, applyTopology } from './operations/applyTopology.js';
export type { DeadLetterInfo, DeadLetterSummary, ReplayOptions } from './operations/deadLetters.js';
export { inspectDeadLetters, purgeDeadLetters, replayDeadLetters } from './operations/deadLetters.js';
export type { DifferenceProblem, TopologyDifference, TopologyReport } from './operations/diffTopology.js';
export { describeQueue, diffTopology } from './operations/diffTopology.js';
export type { ArgDifference } from './operations/inequivalence.js';
export type { Permission, PermissionNeed } from './operations/permissionNeeds.js';
export { permissionNeeds, permissionPatterns } from './operations/permissionNeeds.js';
export type { PermissionVerdict } from './operations/probePermissions.js';
export { probePermissions } from './operations/probePermissions.js';
export type { Observation, ObservedTopology } from './operations/probeTopology.js';
export { observeTopology } from './operations/probeTopology.js';
export type { QueueStatusReport, QueueStatusRow } from './operations/queueStatus.js';
export { readQueueStatus } from './operations/queueStatus.js';
export type { PlannedBinding, PlannedExchange, PlannedQueue, PlannedQueueRole, TopologyPlan } from './operations/topologyPlan.js';
export { planTopology } from './operations/topologyPlan.js';
export type { ConsumerOptions, ExchangeType, RetryOptions } from './options/ConsumerOptions.js';
export type { ResolvedConsumerOptions } from './options/resolveConsumerOptions.js';
export { DEFAULT_PREFETCH, resolveConsumerOptions } from './options/resolveConsumerOptions.js';
export type { StandardSchemaV1 } from './options/StandardSchema.js';
export * from './publisher/index.js';
export { isLoopback } from './topology/consumerTimeout.js';
export { deadLetterQueueName, retryQueueName } from './topology/names.js';
export { RETRY_LADDER_MS, retryQueueDelay } from './topology/retryLadder.js';
