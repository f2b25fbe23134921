import { setTimeout as delay } from 'node:timers/promises';
import * as amqp from 'amqplib';
import { ClosedError, ConnectionError, type WarrenError } from '../errors/WarrenError.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { checkTlsForUrls, clientCertificateName, resolveTls, type TlsOptions } from './brokerTls.js';
import { type BrokerAddress, type BrokerUrlOptions, parseBrokerUrl, resolveBrokerUrls } from './brokerUrl.js';
import { coalesceWrites } from './coalesceWrites.js';
import { connectArguments, type LoginMechanism, loginMechanism } from './connectArguments.js';
import { describeConnectError } from './describeConnectError.js';
import { shuffled } from './shuffle.js';

/** A connection that lived this long is healthy: its next loss starts backing off from the beginning. */
const STABLE_AFTER_MS = 10_000;

export type ConnectionRole = 'consume' | 'publish' | 'admin';
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed';

export interface ReconnectOptions extends BackoffOptions {
  /** Give up after this many failed attempts in a row (default: never, for workers). */
  maxAttempts: number;
}

/**
 * `url` (one broker) or `urls` (several, tried in order or shuffled, failing over on loss);
 * default WARREN_URL, AMQP_URL, then amqp://guest:guest@127.0.0.1:5672.
 */
export interface ConnectionOptions extends BrokerUrlOptions {
  role: ConnectionRole;
  /** Shown in the broker's management UI and `rabbitmqctl list_connections client_properties`. */
  appName?: string;
  /** Heartbeat in seconds, unless the URL sets one. Default 10: a silent stall is found in ~20-30 s. */
  heartbeatSec?: number;
  /** TCP + AMQP handshake deadline per attempt. amqplib has none by default, so a black hole hangs. */
  connectTimeoutMs?: number;
  /** Rounds over all URLs at start before giving up (default 1: a wrong URL fails `warren start` at once). */
  startAttempts?: number;
  reconnect?: Partial<ReconnectOptions> | false;
  /** Try the URLs in a random order (default false: in the order given). Workers shuffle, to spread over a cluster's nodes. */
  shuffle?: boolean;
  logger?: Logger;
}

/** The broker a connection is on: its address (no credentials) and, as the broker names it, its cluster. */
export interface BrokerNode {
  /** host:port of the URL it connected to: on a cluster, which node. */
  readonly address: string;
  /** The broker's `cluster_name` (the same on every node of a cluster). */
  readonly cluster: string | undefined;
  /** When this connection to it opened (ms since the epoch). */
  readonly since: number;
}

export type ConnectionEvents = {
  connected: [generation: number, address: string];
  disconnected: [error: Error | undefined];
  reconnectScheduled: [attempt: number, delayMs: number, error: Error];
  blocked: [reason: string];
  unblocked: [];
  /** Recovery stopped for good: bad credentials, vhost gone, or maxAttempts reached. */
  fatal: [error: WarrenError];
  closed: [];
};

/**
 * One AMQP connection that stays up: it connects to the first broker that answers, and when the
 * connection is lost it reconnects with capped, jittered backoff, failing over across URLs.
 * Every successful connect bumps `generation`; channels and delivery tags of an older
 * generation are dead, and their owners (consumers, publisher) rebuild on 'connected'.
 * This layer and publisher/ are the only code that touches amqplib.
 */
export class ConnectionManager {
  readonly events = new TypedEvents<ConnectionEvents>();
  readonly role: ConnectionRole;
  #state: ConnectionState = 'idle';
  #model: amqp.ChannelModel | undefined;
  #generation = 0;
  #blockedSince: number | undefined;
  #blockedReason: string | undefined;
  readonly #addresses: BrokerAddress[];
  readonly #options: ConnectionOptions;
  readonly #tls: TlsOptions | undefined;
  readonly #reconnect: ReconnectOptions | false;
  readonly #log: Logger;
  #nextAddress = 0;
  #connectedAt = 0;
  #node: BrokerNode | undefined;
  #lostInARow = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  readonly #closing = new AbortController();

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.role = options.role;
    const addresses = resolveBrokerUrls(options).map(parseBrokerUrl);
    this.#addresses = options.shuffle === true ? shuffled(addresses) : addresses;
    this.#tls = resolveTls(options.tls);
    checkTlsForUrls(this.#tls, addresses);
    this.#reconnect =
      options.reconnect === false ? false : { ...DEFAULT_BACKOFF, maxAttempts: Number.POSITIVE_INFINITY, ...options.reconnect };
    this.#log = (options.logger ?? silentLogger()).child({ connection: options.role });
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get generation(): number {
    return this.#generation;
  }
  get isBlocked(): boolean {
    return this.#blockedSince !== undefined;
  }
  /** ms since the broker blocked this connection, or 0. */
  get blockedForMs(): number {
    return this.#blockedSince === undefined ? 0 : Date.now() - this.#blockedSince;
  }
  get blockedReason(): string | undefined {
    return this.#blockedReason;
  }
  /** The address (password masked) of the current or last broker. */
  get address(): string {
    return this.brokerAddress.display;
  }
  /** How many broker URLs this connection fails over across (more than one: a cluster, or standbys). */
  get addressCount(): number {
    return this.#addresses.length;
  }
  /** The broker this connection is on now; undefined while not connected. */
  get node(): BrokerNode | undefined {
    return this.#state === 'connected' ? this.#node : undefined;
  }
  /** How it logs in to the current or last broker, and as whom (EXTERNAL: the client certificate's common name). */
  get login(): { mechanism: LoginMechanism; user: string } {
    const address = this.brokerAddress;
    const mechanism = loginMechanism(address, this.#tls);
    return { mechanism, user: mechanism === 'EXTERNAL' ? (clientCertificateName(this.#tls) ?? '(the certificate)') : address.username };
  }
  /** The current or last broker's parsed address. */
  get brokerAddress(): BrokerAddress {
    return this.#addresses[(this.#nextAddress + this.#addresses.length - 1) % this.#addresses.length] as BrokerAddress;
  }

  /**
   * Connects, trying each URL `startAttempts` rounds; throws a one-line ConnectionError if none
   * answers. close() ends it at once with a ClosedError, even mid-handshake or mid-backoff, so a
   * SIGTERM during start is not held up by a broker that does not answer.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new ClosedError(`connection (${this.role}) was already started`);
    this.#state = 'connecting';
    if (this.#tls?.rejectUnauthorized === false) {
      this.#log.warn(
        'TLS certificate verification is OFF (tls.rejectUnauthorized: false): anyone on the network path can read and change this connection',
      );
    }
    const closed = this.#closing.signal;
    const closedWhileConnecting = (): ClosedError => new ClosedError(`connection (${this.role}) closed while connecting`);
    const rounds = Math.max(1, this.#options.startAttempts ?? 1);
    let last: WarrenError | undefined;
    for (let attempt = 1; attempt <= rounds * this.#addresses.length; attempt++) {
      if (this.#state !== 'connecting') throw closedWhileConnecting();
      try {
        // A connect that completes after close() is closed again by #open.
        await unlessAborted(this.#open(), closed, closedWhileConnecting);
        return;
      } catch (error) {
        last = error as WarrenError;
        if (!last.transient) break;
        if (attempt % this.#addresses.length === 0 && attempt < rounds * this.#addresses.length && this.#reconnect !== false) {
          const ms = backoffDelay(attempt / this.#addresses.length, this.#reconnect as ReconnectOptions);
          await delay(ms, undefined, { signal: closed }).catch(() => undefined); // close() ends the wait; the loop then throws
        }
      }
    }
    if (this.#state === 'connecting') this.#state = 'failed';
    throw last ?? new ConnectionError('WARREN_ERR_CONNECT', 'cannot reach the broker');
  }

  /** Resolves once connected (at once if connected now); rejects if the connection closes or fails for good. */
  waitForConnected(): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'closed' || this.#state === 'failed')
      return Promise.reject(new ClosedError(`connection (${this.role}) is ${this.#state}`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async createChannel(): Promise<amqp.Channel> {
    return this.#requireModel().createChannel();
  }

  async createConfirmChannel(): Promise<amqp.ConfirmChannel> {
    return this.#requireModel().createConfirmChannel();
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closing.abort();
    clearTimeout(this.#reconnectTimer);
    this.#settleWaiters(new ClosedError(`connection (${this.role}) closed`));
    const model = this.#model;
    this.#model = undefined;
    if (model !== undefined) {
      // A broker that does not answer (a stalled network) must not hold up shutdown.
      let timer: NodeJS.Timeout | undefined;
      const closed = model.close().then(
        () => true,
        () => true, // already closed by the broker or the network
      );
      const answered = await Promise.race([closed, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000)))]);
      clearTimeout(timer);
      if (!answered) this.#log.warn('the broker did not answer the close within 5 s; leaving the socket to die');
    }
    this.events.emit('closed');
  }

  #requireModel(): amqp.ChannelModel {
    if (this.#model === undefined || this.#state !== 'connected') {
      throw new ConnectionError('WARREN_ERR_CONNECT', `connection (${this.role}) is ${this.#state}, not connected`, { transient: true });
    }
    return this.#model;
  }

  async #open(): Promise<void> {
    const address = this.#addresses[this.#nextAddress % this.#addresses.length] as BrokerAddress;
    this.#nextAddress++;
    let model: amqp.ChannelModel;
    try {
      model = await amqp.connect(
        ...connectArguments(address, this.#tls, {
          heartbeatSec: this.#options.heartbeatSec ?? 10,
          timeoutMs: this.#options.connectTimeoutMs ?? 5000,
          connectionName: `${this.#options.appName ?? 'warren'}:${this.role}`,
        }),
      );
    } catch (error) {
      throw describeConnectError(error, address.display, { login: this.login, clientCertificate: this.#tls?.cert !== undefined });
    }
    if (this.#state === 'closed') {
      await model.close().catch(() => undefined);
      throw new ClosedError(`connection (${this.role}) closed while connecting`);
    }
    if (!coalesceWrites(model)) this.#log.debug('the installed amqplib is not shaped as Warren expects: its frames go out one write each');
    this.#model = model;
    this.#generation++;
    this.#blockedSince = undefined;
    this.#state = 'connected';
    this.#connectedAt = Date.now();
    const cluster = model.connection.serverProperties?.cluster_name;
    this.#node = {
      address: `${address.hostname}:${address.port}`,
      cluster: typeof cluster === 'string' ? cluster : undefined,
      since: this.#connectedAt,
    };
    model.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'connection error'));
    model.on('blocked', (reason: string) => {
      this.#blockedSince = Date.now();
      this.#blockedReason = reason;
      this.#log.warn({ reason }, 'broker blocked the connection');
      this.events.emit('blocked', reason);
    });
    model.on('unblocked', () => {
      const ms = this.blockedForMs;
      this.#blockedSince = undefined;
      this.#blockedReason = undefined;
      this.#log.info({ blockedMs: ms }, 'broker unblocked the connection');
      this.events.emit('unblocked');
    });
    model.on('close', (error?: Error) => this.#onClose(model, error));
    this.#log.info({ broker: address.display, generation: this.#generation }, 'connected');
    this.#settleWaiters();
    this.events.emit('connected', this.#generation, address.display);
  }

  #onClose(model: amqp.ChannelModel, error: Error | undefined): void {
    if (model !== this.#model) return;
    this.#model = undefined;
    const wasBlocked = this.#blockedSince !== undefined;
    this.#blockedSince = undefined;
    if (this.#state === 'closed') return;
    this.#log.warn({ err: error?.message }, 'connection lost');
    this.events.emit('disconnected', error);
    if (wasBlocked) this.events.emit('unblocked');
    if (this.#reconnect === false) {
      this.#fail(describeConnectError(error ?? new Error('connection closed'), this.address));
      return;
    }
    this.#state = 'reconnecting';
    // A connection that dies right after opening (a flapping broker or proxy) keeps backing off
    // instead of starting over at the shortest delay each time.
    const flapping = Date.now() - this.#connectedAt < STABLE_AFTER_MS;
    this.#lostInARow = flapping ? this.#lostInARow + 1 : 1;
    this.#scheduleReconnect(this.#lostInARow, error ?? new Error('connection closed'));
  }

  #scheduleReconnect(attempt: number, cause: Error): void {
    const policy = this.#reconnect as ReconnectOptions;
    if (attempt > policy.maxAttempts) {
      this.#fail(
        new ConnectionError('WARREN_ERR_CONNECT', `gave up reconnecting after ${policy.maxAttempts} attempts: ${cause.message}`, { cause }),
      );
      return;
    }
    // The first retry after a loss goes to the next URL at once (failover), later ones back off.
    const delay = attempt === 1 && this.#addresses.length > 1 ? 0 : backoffDelay(attempt, policy);
    this.events.emit('reconnectScheduled', attempt, delay, cause);
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state !== 'reconnecting') return;
      this.#open().catch((error: WarrenError) => {
        if (this.#state !== 'reconnecting') return;
        if (!error.transient) {
          this.#fail(error);
          return;
        }
        this.#log.warn({ attempt, err: error.message }, 'reconnect failed');
        this.#scheduleReconnect(attempt + 1, error);
      });
    }, delay);
  }

  #fail(error: WarrenError): void {
    this.#state = 'failed';
    this.#log.error({ err: error.message }, 'connection failed for good');
    this.#settleWaiters(error);
    this.events.emit('fatal', error);
  }

  #settleWaiters(error?: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }
}

/** Settles as `work` does, or rejects with `onAbort()` as soon as `signal` aborts, whichever comes first. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
