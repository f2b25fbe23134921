import 'reflect-metadata';
import { Container } from 'inversify';
import { resolveTls } from '../connection/brokerTls.js';
import { resolveBrokerUrls } from '../connection/brokerUrl.js';
import { ConnectionManager } from '../connection/ConnectionManager.js';
import { FanoutSubscription } from '../consumer/ConsumerChannel.js';
import { ConsumerRuntime, type ConsumerStats } from '../consumer/ConsumerRuntime.js';
import { ClosedError, ConfigError, type WarrenError } from '../errors/WarrenError.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { CANCEL_EXCHANGE } from '../message/headers.js';
import { attachLifecycleLog } from '../observability/lifecycleLog.js';
import type { AppMetrics } from '../observability/metrics/AppMetrics.js';
import { enableTracing } from '../observability/tracing/enableTracing.js';
import { Publisher } from '../publisher/Publisher.js';
import { checkDeadlinesAgainstBroker } from './checkDeadlines.js';
import type { AppDefinition } from './defineApp.js';
import { type AppHealth, assessHealth } from './health.js';

export type { AppHealth };

import type { AppEvents, AppRunOptions, AppState, StopReport } from './AppRunOptions.js';
import { LivenessMonitor } from './LivenessMonitor.js';
import { handlerOf, resolveAppDefinition } from './resolveApp.js';

export type { AppEvents, AppRunOptions, AppState, StopReport };

import { LOGGER } from './tokens.js';

/** The broker URL(s) from the environment, as `warren start` reads them. */
export function urlsFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolveBrokerUrls({}, env).join(',');
}

/**
 * A running Warren app: its Inversify container, one connection for consuming and one for
 * publishing (a blocked publisher must never stall acks), its Publisher, and one
 * ConsumerRuntime per consumer class. Everything that can be checked is checked before the
 * first connection opens.
 */
export class WarrenApp {
  readonly events: TypedEvents<AppEvents>;
  readonly container: Container;
  readonly publisher: Publisher;
  readonly consumers: readonly ConsumerRuntime[];
  readonly log: Logger;
  readonly #consumeConnection: ConnectionManager;
  readonly #publishConnection: ConnectionManager;
  #state: AppState = 'created';
  #consumerTimeoutMs: number | undefined;
  #fatal: WarrenError | undefined;
  readonly #liveness: LivenessMonitor | undefined;
  readonly #cancelNotices: FanoutSubscription;
  #starting: Promise<void> | undefined;
  #stopping: Promise<StopReport> | undefined;
  #metrics: AppMetrics | undefined;
  #tracing = true;

  private constructor(parts: {
    liveness: LivenessMonitor | undefined;
    consumerTimeoutMs: number | undefined;
    events: TypedEvents<AppEvents>;
    container: Container;
    publisher: Publisher;
    consumers: ConsumerRuntime[];
    log: Logger;
    consumeConnection: ConnectionManager;
    publishConnection: ConnectionManager;
  }) {
    this.events = parts.events;
    this.#liveness = parts.liveness;
    this.#consumerTimeoutMs = parts.consumerTimeoutMs;
    this.container = parts.container;
    this.publisher = parts.publisher;
    this.consumers = parts.consumers;
    this.log = parts.log;
    this.#consumeConnection = parts.consumeConnection;
    this.#publishConnection = parts.publishConnection;
    // Requests' callers that give up say so on warren.cancel: the handler's signal aborts.
    this.#cancelNotices = new FanoutSubscription(
      this.#consumeConnection,
      CANCEL_EXCHANGE,
      (content) => this.#onCancelNotice(content),
      (error) => this.log.warn({ err: error.message }, 'cannot listen for cancel notices; cancelled requests run to their deadline'),
    );
    for (const c of [this.#consumeConnection, this.#publishConnection]) {
      c.events.on('blocked', (reason) => this.events.emit('blocked', c.role, reason));
      c.events.on('unblocked', () => this.events.emit('unblocked', c.role));
      c.events.on('fatal', (error) => {
        this.#fatal ??= error;
        this.#state = 'failed';
        this.events.emit('fatal', error);
      });
    }
  }

  /**
   * Checks every consumer's options, builds the container and creates every consumer (so a
   * missing binding fails here), without touching the network.
   */
  static async create(definition: AppDefinition, options: AppRunOptions = {}): Promise<WarrenApp> {
    const { appName, consumers: resolved, appPolicies } = resolveAppDefinition(definition, options);
    const log = options.logger ?? createLogger({ name: appName });
    const connectionOptions = {
      urls: resolveBrokerUrls(options),
      // Read and checked once for both connections.
      tls: resolveTls(options.tls),
      appName,
      logger: log,
      heartbeatSec: options.heartbeatSec ?? 10,
      startAttempts: options.startAttempts ?? 1,
      shuffle: options.shuffle ?? true,
      reconnect: options.reconnect,
    };
    const consumeConnection = new ConnectionManager({ ...connectionOptions, role: 'consume' });
    const publishConnection = new ConnectionManager({ ...connectionOptions, role: 'publish' });
    // The app's own publisher options (its `limits`, say), then the run's on top; checked here, before any connection.
    const publisherOptions = { ...definition.publisher, ...options.publisher };
    const publisher = new Publisher({ ...publisherOptions, connection: publishConnection, appName, logger: log });

    const container = new Container();
    container.bind(Publisher).toConstantValue(publisher);
    container.bind(LOGGER).toConstantValue(log);
    await definition.configure?.(container);
    const events = new TypedEvents<AppEvents>();
    const consumers: ConsumerRuntime[] = [];
    for (const [cls, opts] of resolved) {
      const handler = handlerOf(container, cls);
      const runtime = new ConsumerRuntime(opts, handler, {
        connection: consumeConnection,
        republisher: publisher,
        logger: log,
        events,
        appPolicies,
      });
      consumers.push(runtime);
    }
    const liveness =
      options.liveness === false
        ? undefined
        : new LivenessMonitor(consumers, [consumeConnection, publishConnection], events, log, options.liveness);
    const app = new WarrenApp({
      liveness,
      consumerTimeoutMs: options.consumerTimeoutMs,
      events,
      container,
      publisher,
      consumers,
      log,
      consumeConnection,
      publishConnection,
    });
    attachLifecycleLog(events, consumers, log);
    if (options.metrics) {
      // Loaded only with metrics on: prom-client (and the OpenTelemetry API it pulls in) is over a
      // hundred modules that an app without metrics would parse at every start.
      const { AppMetrics } = await import('../observability/metrics/AppMetrics.js');
      app.#metrics = new AppMetrics(app, options.metrics === true ? {} : options.metrics);
    }
    app.#tracing = options.tracing !== false;
    return app;
  }

  get state(): AppState {
    return this.#state;
  }

  /** Liveness monitor, for a check on demand (tests, a health endpoint that wants fresh data). */
  get liveness(): LivenessMonitor | undefined {
    return this.#liveness;
  }

  /** A snapshot for health checks: ok only when running, connected, not blocked too long and no consumer stalled. */
  health(): AppHealth {
    const liveness = this.#liveness?.report() ?? { consumers: {}, connections: {} };
    const p = this.publisher.stats();
    return {
      status: assessHealth({
        appState: this.#state,
        connected: this.#consumeConnection.state === 'connected' && this.#publishConnection.state === 'connected',
        liveness,
        consumerStates: this.consumers.map((c) => c.state),
      }),
      state: this.#state,
      liveness,
      publisher: { state: this.publisher.state, inFlight: p.inFlight, buffered: p.buffered, held: p.held, limits: this.publisher.limits() },
      consumers: this.consumers.map((c) => {
        const d = c.describe();
        return {
          name: c.name,
          queue: c.options.queue,
          state: c.state,
          intakeOff: c.stats().intakeOff,
          inFlight: c.stats().inFlight,
          acked: c.stats().acked,
          prefetch: c.options.prefetch,
          policies: d.policies as AppHealth['consumers'][number]['policies'],
        };
      }),
    };
  }

  /** The app's metrics in Prometheus' text format; needs `metrics` in the run options. */
  metrics(): Promise<string> {
    if (this.#metrics === undefined) return Promise.reject(new ConfigError('metrics are off: create the app with { metrics: true }'));
    return this.#metrics.text();
  }

  /** The app's metrics (registry, content type, queue depths), or undefined when off. */
  get appMetrics(): AppMetrics | undefined {
    return this.#metrics;
  }

  get connections(): { consume: ConnectionManager; publish: ConnectionManager } {
    return { consume: this.#consumeConnection, publish: this.#publishConnection };
  }

  /**
   * Connects both connections, starts the publisher, declares topology and starts every consumer.
   * A stop() meanwhile makes it reject with a ClosedError at its next step (a connect under way
   * ends at once), and stop() then stops whatever was started, in order.
   */
  start(): Promise<void> {
    if (this.#state !== 'created') return Promise.reject(new ConfigError(`app is ${this.#state}; start() runs once`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      if (this.#tracing) await enableTracing();
      await Promise.all([this.#consumeConnection.start(), this.#publishConnection.start()]);
      this.#assertStarting();
      await checkDeadlinesAgainstBroker(this.consumers, this.#consumeConnection.brokerAddress, this.#consumerTimeoutMs);
      this.#assertStarting();
      await this.publisher.start();
      await this.#cancelNotices.start();
      for (const c of this.consumers) {
        this.#assertStarting();
        await c.start();
      }
      this.#assertStarting();
    } catch (error) {
      // stop() was called: it stops what was started, with the grace period, once this returns.
      if (this.#state === 'stopping') throw new ClosedError('the app was stopped while starting');
      this.#state = 'failed';
      // Consumers already started must not keep handling while the app reports failure.
      await Promise.all(this.consumers.map((c) => c.stop(0)));
      await this.publisher.close(0).catch(() => undefined);
      await this.#cancelNotices.close();
      await this.#closeConnections();
      throw error;
    }
    this.#state = 'running';
    this.#liveness?.start();
    this.log.info({ consumers: this.consumers.map((c) => c.describe()) }, 'warren app running');
  }

  #onCancelNotice(content: Buffer): void {
    let notice: { correlationId?: unknown; deadline?: unknown };
    try {
      notice = JSON.parse(content.toString('utf8'));
    } catch {
      return;
    }
    if (typeof notice?.correlationId !== 'string') return;
    const deadline = typeof notice.deadline === 'number' ? notice.deadline : Date.now() + 60_000;
    for (const c of this.consumers) c.cancelRequest(notice.correlationId, deadline);
  }

  /** A fatal connection error has failed the app, or stop() was called: start() goes no further. */
  #assertStarting(): void {
    if (this.#state !== 'starting') throw this.#fatal ?? new ClosedError(`app ${this.#state} while starting`);
  }

  /**
   * Ordered, idempotent shutdown: stop intake on every consumer, let in-flight handlers finish
   * within the grace period (then abort them), settle, flush the publisher's confirms, close
   * channels and connections.
   */
  stop(graceMs?: number): Promise<StopReport> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number | undefined): Promise<StopReport> {
    const started = Date.now();
    const wasStarting = this.#state === 'starting';
    this.#state = 'stopping';
    if (wasStarting) {
      this.log.info('stop requested while starting: start goes no further');
      // A connect still under way (a slow or silent broker, start retries) ends now; nothing uses that connection yet.
      for (const c of [this.#consumeConnection, this.#publishConnection]) if (c.state === 'connecting') await c.close();
      await this.#starting?.catch(() => undefined);
    }
    this.#liveness?.stop();
    this.log.info('stopping: intake stopped, finishing in-flight work');
    await Promise.all(this.consumers.map((c) => c.stop(graceMs)));
    await this.#cancelNotices.close();
    await this.publisher.close();
    await this.#closeConnections();
    const consumers: Record<string, ConsumerStats> = {};
    let clean = true;
    for (const c of this.consumers) {
      const s = c.stats();
      consumers[c.name] = s;
      if (s.leftUnsettledAtStop > 0) clean = false;
    }
    // What close() had to give up on: publishes of this shutdown never written or never confirmed.
    const p = this.publisher.stats();
    if (p.abandonedAtClose > 0) clean = false;
    this.#state = 'stopped';
    const report = { clean, durationMs: Date.now() - started, consumers };
    this.log.info({ clean, durationMs: report.durationMs, consumers, publisher: p }, 'stopped');
    return report;
  }

  async #closeConnections(): Promise<void> {
    await Promise.all([this.#consumeConnection.close(), this.#publishConnection.close()]);
  }
}

/** Creates and starts an app: what `warren start` does. */
export async function startApp(definition: AppDefinition, options: AppRunOptions = {}): Promise<WarrenApp> {
  const app = await WarrenApp.create(definition, options);
  await app.start();
  return app;
}
