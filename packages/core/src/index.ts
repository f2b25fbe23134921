import 'reflect-metadata';

export { Consumer, getConsumerOptions } from './decorators/Consumer.js';
export { Worker } from './decorators/Worker.js';
export { defineApp, isAppDefinition } from './di/defineApp.js';
export type { AppDefinition, ConsumerClass, WarrenAppDefinition } from './di/defineApp.js';
export { startApp, urlsFromEnv, WarrenApp } from './di/WarrenApp.js';
export type { AppEvents, AppRunOptions, AppState, StopReport } from './di/WarrenApp.js';
export { LOGGER } from './di/tokens.js';

export type { DeliveryFields, MessageContext, MessageProperties } from './consumer/MessageContext.js';
export { ConsumerRuntime } from './consumer/ConsumerRuntime.js';
export type { ConsumerStats } from './consumer/ConsumerRuntime.js';
export { decideOutcome } from './consumer/outcome.js';
export type { DeadLetterReason, Outcome } from './consumer/outcome.js';
export { HEADER } from './consumer/headers.js';
export { DEADLINE_HEADER } from './middleware/deadline.js';
export type { Middleware, Next } from './middleware/Middleware.js';

export type { ConsumerOptions, ExchangeType, RetryOptions } from './options/ConsumerOptions.js';
export { DEFAULT_PREFETCH, resolveConsumerOptions } from './options/resolveConsumerOptions.js';
export type { ResolvedConsumerOptions } from './options/resolveConsumerOptions.js';
export type { StandardSchemaV1 } from './options/StandardSchema.js';

export { ConnectionManager } from './connection/ConnectionManager.js';
export type { ConnectionEvents, ConnectionOptions, ConnectionRole, ConnectionState, ReconnectOptions } from './connection/ConnectionManager.js';
export { DEFAULT_URL, parseBrokerUrl, parseBrokerUrls, redactUrl } from './connection/brokerUrl.js';
export type { BrokerAddress } from './connection/brokerUrl.js';
export { deadLetterQueueName, retryQueueName } from './topology/names.js';

export { ClosedError, ConfigError, ConnectionError, TopologyError, WarrenError } from './errors/WarrenError.js';
export type { WarrenErrorCode } from './errors/WarrenError.js';
export { DeadlineExceededError, DecodeError, Reject, RetryLater, UnrecoverableError } from './errors/handlerErrors.js';
export {
  BrokerBlockedError,
  InvalidPublishError,
  PublishNackedError,
  PublisherClosedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from './errors/publishErrors.js';

export { createLogger, silentLogger } from './observability/logger.js';
export type { Logger } from './observability/logger.js';
export { TypedEvents } from './observability/TypedEvents.js';
export type { Disposable } from './observability/TypedEvents.js';
export type { ConsumerState, WarrenEvents } from './observability/events.js';

export * from './publisher/index.js';
