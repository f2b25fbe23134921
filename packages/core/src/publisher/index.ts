export { createPublisher } from './createPublisher.js';
export type {
  PublisherEvents,
  PublisherObserver,
  PublisherOptions,
  PublisherState,
  PublisherStats,
  PublishOptions,
} from './Publisher.js';
export { Publisher } from './Publisher.js';
export type { QueueLimitOptions } from './PublisherOptions.js';
export type { QueueDepthView } from './QueueDepthLimits.js';
export type { IncomingReply, RequestCounts, RequestOptions } from './RequestClient.js';
export type { ResolvedPublisherOptions } from './resolvePublisherOptions.js';
export { resolvePublisherOptions } from './resolvePublisherOptions.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './serialize.js';
