import 'reflect-metadata';

export type { AppDefinition, ConsumerClass, WarrenAppDefinition } from './app/defineApp.js';
export { defineApp, isAppDefinition } from './app/defineApp.js';
export type { LivenessOptions, LivenessReport } from './app/LivenessMonitor.js';
export { LivenessMonitor } from './app/LivenessMonitor.js';
export { LOGGER } from './app/tokens.js';
export type { AppEvents, AppHealth, AppRunOptions, AppState, StopReport } from './app/WarrenApp.js';
export { startApp, urlsFromEnv, WarrenApp } from './app/WarrenApp.js';
export type { BrokerAddress, BrokerUrlOptionNames, BrokerUrlOptions } from './connection/brokerUrl.js';
export { DEFAULT_URL, parseBrokerUrl, parseBrokerUrls, redactUrl, resolveBrokerUrls } from './connection/brokerUrl.js';
export type {
  ConnectionEvents,
  ConnectionOptions,
  ConnectionRole,
  ConnectionState,
  ReconnectOptions,
} from './connection/ConnectionManager.js';
export { ConnectionManager } from './connection/ConnectionManager.js';
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
export { createLogger, silentLogger } from './logging/logger.js';
export { HEADER } from './message/headers.js';
export type { DeliveryFields, MessageContext, MessageProperties } from './message/MessageContext.js';
export type { AdaptiveLimitOptions, LimitPolicy } from './middleware/adaptiveLimit.js';
export type { BreakerOptions, BreakerState } from './middleware/breaker.js';
export { CircuitBreaker } from './middleware/breaker.js';
export { ConcurrencyLimit } from './middleware/concurrencyLimit.js';
export { DEADLINE_HEADER, Deadline } from './middleware/deadline.js';
export type { ConsumeContext, ConsumerHost, Middleware, Next, Policy, PolicyFactory } from './middleware/Middleware.js';
export { compose } from './middleware/Middleware.js';
export type { RateLimitOptions } from './middleware/rateLimit.js';
export { RateLimiter } from './middleware/rateLimit.js';
export type { DeadLetterInfo, DeadLetterSummary, ReplayOptions } from './operations/deadLetters.js';
export { inspectDeadLetters, purgeDeadLetters, replayDeadLetters } from './operations/deadLetters.js';
export type { ConsumerOptions, ExchangeType, RetryOptions } from './options/ConsumerOptions.js';
export type { ResolvedConsumerOptions } from './options/resolveConsumerOptions.js';
export { DEFAULT_PREFETCH, resolveConsumerOptions } from './options/resolveConsumerOptions.js';
export type { StandardSchemaV1 } from './options/StandardSchema.js';
export * from './publisher/index.js';
export { deadLetterQueueName, retryQueueName } from './topology/names.js';
export { RETRY_LADDER_MS, retryQueueDelay } from './topology/retryLadder.js';
