import type { Container } from 'inversify';
import type { Worker } from '../consumer/Worker.js';
import type { Policy } from '../middleware/Middleware.js';
import type { PublisherOptions } from '../publisher/PublisherOptions.js';

/** The app's Publisher options an app may set: not where it connects (the app's connection), nor its logger. */
export type AppPublisherOptions = Omit<PublisherOptions, 'url' | 'urls' | 'connection' | 'logger'>;

/** Options every consumer of the app takes unless it sets its own. */
export interface AppConsumerDefaults {
  /** 'quorum' for an app on a cluster: each queue (and its retry queues and DLQ) replicated over the nodes. */
  queueType?: 'classic' | 'quorum';
}

/** A class decorated with `@Consumer`, extending `Worker`. */
export type ConsumerClass = abstract new (...args: never[]) => Worker<never>;

/** What an app module exports as its default: its consumers and how to bind their dependencies. */
export interface AppDefinition {
  /** Names the app in logs and in the broker's connection list. Default 'warren'. */
  name?: string;
  consumers: readonly ConsumerClass[];
  /** Binds the consumers' dependencies. `Publisher` and `Logger` are bound already. */
  configure?: (container: Container) => unknown;
  /**
   * Options of the app's Publisher (the one handlers inject), such as `limits` on the queues the
   * handlers publish to; `AppRunOptions.publisher` overrides them one by one.
   */
  publisher?: AppPublisherOptions;
  /** Default grace period for in-flight handlers at shutdown. Default 10 000 ms. */
  shutdownGraceMs?: number;
  /**
   * Policies for every consumer, outermost first, around each consumer's own (`@Consumer({ use })`):
   * a `Middleware` shared as it is, or a factory `(host) => Middleware` called once per consumer.
   */
  use?: readonly Policy[];
  /** Defaults for every consumer's options (a consumer's own option wins): `{ queueType: 'quorum' }`. */
  defaults?: AppConsumerDefaults;
}

const APP_BRAND = Symbol.for('@warren/core/app');

export interface WarrenAppDefinition extends AppDefinition {
  readonly [APP_BRAND]: true;
}

/** Declares an app: the default export of the module `warren start` loads. */
export function defineApp(definition: AppDefinition): WarrenAppDefinition {
  return Object.freeze({ ...definition, [APP_BRAND]: true as const });
}

export function isAppDefinition(value: unknown): value is WarrenAppDefinition {
  return typeof value === 'object' && value !== null && (value as { [APP_BRAND]?: unknown })[APP_BRAND] === true;
}
