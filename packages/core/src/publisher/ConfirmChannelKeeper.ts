import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { Logger } from '../logging/logger.js';
import { ConfirmChannelSession } from './ConfirmChannelSession.js';

export interface ConfirmChannelHooks {
  /** A new channel is open and current: subscribe to its confirms. */
  opened(session: ConfirmChannelSession): void;
  /** The current channel is gone (`current` is already undefined); a new one follows while the connection is up. */
  closed(error: Error | undefined): void;
}

/** Wait before trying again when a channel cannot be opened on a live connection. */
const RETRY_OPEN_MS = 1000;
/** A channel closed sooner than this after it opened counts as closing "right after opening". */
const QUICK_CLOSE_MS = 1000;
const MAX_REOPEN_DELAY_MS = 5000;

/**
 * Keeps one confirm channel open on a connection: a channel error leaves the connection up, so
 * the channel reopens at once; a lost connection reopens it on 'connected', where a channel of
 * the old connection is reported closed even if its own 'close' has not arrived yet.
 */
export class ConfirmChannelKeeper {
  readonly #conn: ConnectionManager;
  #openedAt = 0;
  #quickCloses = 0;
  readonly #log: Logger;
  readonly #hooks: ConfirmChannelHooks;
  #current: ConfirmChannelSession | undefined;
  #opening: Promise<void> | undefined;
  #reopenTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  readonly #confirms: boolean;
  /** What the log calls its channel. */
  readonly #name: string;

  /** `confirms: false` keeps a plain channel instead (see ConfirmChannelSession.open). */
  constructor(conn: ConnectionManager, log: Logger, hooks: ConfirmChannelHooks, confirms = true) {
    this.#conn = conn;
    this.#log = log;
    this.#hooks = hooks;
    this.#confirms = confirms;
    this.#name = confirms ? 'confirm channel' : 'reply channel';
  }

  get connection(): ConnectionManager {
    return this.#conn;
  }

  get current(): ConfirmChannelSession | undefined {
    return this.#current;
  }

  /** Opens a channel unless one is open or opening (then waits for that one). */
  open(): Promise<void> {
    if (this.#opening !== undefined) return this.#opening;
    if (this.#current !== undefined || this.#stopped) return Promise.resolve();
    this.#opening = (async () => {
      let session: ConfirmChannelSession;
      try {
        session = await ConfirmChannelSession.open(this.#conn, this.#confirms);
      } finally {
        this.#opening = undefined;
      }
      if (this.#stopped) {
        void session.close(0);
        return;
      }
      this.#current = session;
      this.#openedAt = Date.now();
      session.events.on('closed', (error) => {
        if (session === this.#current) this.#onClosed(error);
      });
      this.#hooks.opened(session);
    })();
    return this.#opening;
  }

  /** The connection is up again, as `generation`. */
  connected(generation: number): void {
    this.#current?.expireBefore(generation);
    if (this.#current === undefined) this.#reopenSoon(0);
  }

  /** Opens no more channels; the current one stays until release(). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#reopenTimer);
  }

  /** Hands over the current channel, if any, for closing; it is no longer current. */
  release(): ConfirmChannelSession | undefined {
    const session = this.#current;
    this.#current = undefined;
    return session;
  }

  #onClosed(error: Error | undefined): void {
    this.#current = undefined;
    this.#hooks.closed(error);
    // A channel the broker closes right after it opened, again and again (something written on it
    // is refused each time), is reopened with growing delays, not in a tight loop; else at once.
    const quick = Date.now() - this.#openedAt < QUICK_CLOSE_MS;
    this.#quickCloses = quick ? this.#quickCloses + 1 : 0;
    const delay = this.#quickCloses > 1 ? Math.min(MAX_REOPEN_DELAY_MS, 50 * 2 ** Math.min(this.#quickCloses, 10)) : 0;
    if (quick && this.#quickCloses === 3)
      this.#log.warn({ err: error?.message }, `the ${this.#name} keeps closing right after it opens; reopening more slowly`);
    // After a lost connection this waits for 'connected' instead.
    if (this.#conn.state === 'connected') this.#reopenSoon(delay);
  }

  #reopenSoon(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = setTimeout(() => {
      this.open().catch((error: Error) => {
        this.#log.warn({ err: error.message }, `cannot reopen the ${this.#name}`);
        if (this.#conn.state === 'connected') this.#reopenSoon(RETRY_OPEN_MS);
      });
    }, delayMs);
    this.#reopenTimer.unref();
  }
}
