export type { PublisherEvents, PublisherOptions, PublisherState, PublisherStats, PublishOptions } from './Publisher.js';
export { createPublisher, Publisher } from './Publisher.js';
export type { ResolvedPublisherOptions } from './resolvePublisherOptions.js';
export { resolvePublisherOptions } from './resolvePublisherOptions.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './serialize.js';
