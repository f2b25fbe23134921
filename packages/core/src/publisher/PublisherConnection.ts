import { type ConnectionEvents, ConnectionManager } from '../connection/ConnectionManager.js';
import type { Disposable } from '../events/TypedEvents.js';
import type { ConfirmChannelSession } from './ConfirmChannelSession.js';
import type { ResolvedPublisherOptions } from './resolvePublisherOptions.js';

/** How long close() waits for a channel close on a shared connection (a blocked connection never answers). */
const CHANNEL_CLOSE_WAIT_MS = 1000;

/** What the publisher does on each of its connection's signals. */
export type ConnectionSignals = {
  readonly [K in 'connected' | 'disconnected' | 'blocked' | 'unblocked' | 'fatal']: (...args: ConnectionEvents[K]) => void;
};

/**
 * The publisher's connection: its own (made from `urls`, started with the publisher and closed
 * with it) or a shared one (`connection`: waited for, and left open; only the confirm channel is
 * closed). Its signals reach the publisher from start() to close(). Apart from Publisher so the
 * difference between the two lives in one place.
 */
export class PublisherConnection {
  readonly conn: ConnectionManager;
  readonly #owned: boolean;
  #subscriptions: Disposable[] = [];

  constructor(o: ResolvedPublisherOptions) {
    this.#owned = o.connection === undefined;
    this.conn =
      o.connection ??
      new ConnectionManager({ urls: o.urls, tls: o.tls, role: 'publish', appName: o.appName, logger: o.logger, shuffle: o.shuffle });
  }

  get started(): boolean {
    return this.#subscriptions.length > 0;
  }

  /** Listens to the connection, then starts it (owned) or waits until it is up (shared). */
  async start(signals: ConnectionSignals): Promise<void> {
    const e = this.conn.events;
    this.#subscriptions = [
      e.on('connected', signals.connected),
      e.on('disconnected', signals.disconnected),
      e.on('blocked', signals.blocked),
      e.on('unblocked', signals.unblocked),
      e.on('fatal', signals.fatal),
    ];
    if (this.#owned) await this.conn.start();
    else await this.conn.waitForConnected();
  }

  /** Stops listening, and closes `sessions` (the channels, released by their keepers) and an owned connection. */
  async close(sessions: ReadonlyArray<ConfirmChannelSession | undefined>): Promise<void> {
    for (const s of this.#subscriptions) s.dispose();
    this.#subscriptions = [];
    if (this.#owned) {
      // Closing the connection closes the channels too, and returns at once even while blocked.
      for (const session of sessions) session?.retire();
      await this.conn.close();
    } else {
      await Promise.all(sessions.map((session) => session?.close(CHANNEL_CLOSE_WAIT_MS)));
    }
  }
}
