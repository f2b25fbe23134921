import 'reflect-metadata';

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
export { HEADER } from './consumer/headers.js';

export type { DeliveryFields, MessageContext, MessageProperties } from './consumer/MessageContext.js';
export type { DeadLetterReason, Outcome } from './consumer/outcome.js';
export { decideOutcome } from './consumer/outcome.js';
export { Consumer, getConsumerOptions } from './decorators/Consumer.js';
export { Worker } from './decorators/Worker.js';
export type { AppDefinition, ConsumerClass, WarrenAppDefinition } from './di/defineApp.js';
export { defineApp, isAppDefinition } from './di/defineApp.js';
export { LOGGER } from './di/tokens.js';
export type { AppEvents, AppHealth, AppRunOptions, AppState, StopReport } from './di/WarrenApp.js';
export { startApp, urlsFromEnv, WarrenApp } from './di/WarrenApp.js';
export { DeadlineExceededError, DecodeError, Reject, RetryLater, UnrecoverableError } from './errors/handlerErrors.js';
export {
  BrokerBlockedError,
  InvalidPublishError,
  PublisherClosedError,
  PublishNackedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from './errors/publishErrors.js';
export type { WarrenErrorCode } from './errors/WarrenError.js';
export { ClosedError, ConfigError, ConnectionError, TopologyError, WarrenError } from './errors/WarrenError.js';
export { DEADLINE_HEADER } from './middleware/deadline.js';
export type { Middleware, Next } from './middleware/Middleware.js';
export type { ConsumerState, WarrenEvents } from './observability/events.js';
export type { LivenessOptions, LivenessReport } from './observability/LivenessMonitor.js';
export { LivenessMonitor } from './observability/LivenessMonitor.js';
export type { Logger } from './observability/logger.js';
export { createLogger, silentLogger } from './observability/logger.js';
export type { Disposable } from './observability/TypedEvents.js';
export { TypedEvents } from './observability/TypedEvents.js';
export type { DeadLetterInfo, DeadLetterSummary, ReplayOptions } from './operations/deadLetters.js';
export { inspectDeadLetters, purgeDeadLetters, replayDeadLetters } from './operations/deadLetters.js';
export type { ConsumerOptions, ExchangeType, RetryOptions } from './options/ConsumerOptions.js';
export type { ResolvedConsumerOptions } from './options/resolveConsumerOptions.js';
export { DEFAULT_PREFETCH, resolveConsumerOptions } from './options/resolveConsumerOptions.js';
export type { StandardSchemaV1 } from './options/StandardSchema.js';
export * from './publisher/index.js';
export { deadLetterQueueName, retryQueueName } from './topology/names.js';
