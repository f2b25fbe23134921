import { type AppRunOptions, ConfigError, describeTls, isLoopback, type Logger, redactUrl, WarrenApp } from '@warren/core';
import { type BrokerFlags, resolveCliBroker } from '../broker/brokerOptions.js';
import { dashboardRoutes } from '../dashboard/index.js';
import { exitCodes } from '../exitCodes.js';
import { loadApp } from '../loadApp.js';
import { cliLogger, logLevel } from '../logging.js';
import { startOperationsServer } from '../operationsServer.js';
import { operationsToken } from '../operationsToken.js';

export interface StartOptions extends BrokerFlags {
  grace?: string;
  only?: string;
  heartbeat?: string;
  httpPort?: string;
  /** The old name of --http-port. */
  healthPort?: string;
  httpHost?: string;
  logLevel?: string;
}

/**
 * `warren start <app-module>`: runs the app until SIGTERM or SIGINT, then stops it in order
 * (intake first, in-flight work within the grace period, confirms, connections) and exits 0 if
 * everything settled. A signal while the app is starting stops it the same way. A second signal
 * exits at once: unacked messages go back to the queue.
 */
export async function startCommand(modulePath: string, opts: StartOptions): Promise<void> {
  let app: WarrenApp | undefined;
  let log: Logger | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log?.warn({ signal }, 'second signal: exiting now; unacked messages return to the queue');
      process.exit(exitCodes.forced);
    }
    if (app === undefined || log === undefined) {
      // Still loading or configuring the app: no broker connection is open, nothing can be unsettled.
      process.stderr.write(`warren: ${signal} before the app started: exiting\n`);
      process.exit(exitCodes.ok);
    }
    const duringStart = app.state === 'created' || app.state === 'starting';
    const stopLog = log;
    stopLog.info({ signal }, duringStart ? 'signal received while starting: stopping' : 'signal received: stopping');
    app.stop().then(
      (report) => {
        if (duringStart) stopLog.info({ clean: report.clean }, 'stopped during start: the app never ran');
        stopLog.flush();
        process.exit(report.clean ? exitCodes.ok : exitCodes.unsettled);
      },
      (error: unknown) => {
        stopLog.error({ err: (error as Error).message }, 'stop failed');
        process.exit(exitCodes.unsettled);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const level = logLevel(opts.logLevel ?? process.env.WARREN_LOG_LEVEL, opts.logLevel === undefined ? 'WARREN_LOG_LEVEL' : '--log-level');
  const http = operationsPort(opts);
  const token = http === undefined ? undefined : operationsToken();
  const broker = resolveCliBroker(opts);
  const definition = await loadApp(modulePath);
  log = cliLogger(definition.name ?? 'warren', level);
  for (const warning of broker.warnings) log.warn(warning);
  const { urls, tls } = broker;
  const runOptions: AppRunOptions = { urls, tls, logger: log };
  if (opts.grace !== undefined) runOptions.shutdownGraceMs = positiveInt('--grace', opts.grace);
  if (opts.heartbeat !== undefined) runOptions.heartbeatSec = positiveInt('--heartbeat', opts.heartbeat);
  if (opts.only !== undefined) runOptions.only = opts.only.split(',').map((s) => s.trim());
  // The operations port serves /metrics: the app counts from its first message on.
  if (http !== undefined) runOptions.metrics = { processMetrics: true };
  app = await WarrenApp.create(definition, runOptions);
  const running = app;
  running.events.on('fatal', (error) => {
    process.stderr.write(`warren: ${error.message}\n`);
    void running.stop(0).finally(() => process.exit(exitCodes.connection));
  });

  const secure = urls.some((u) => u.startsWith('amqps:'));
  log.info({ broker: urls.map(redactUrl), ...(secure ? { tls: describeTls(tls) } : {}) }, 'starting');
  try {
    await running.start();
  } catch (error) {
    // Stopped by a signal: its handler reports and exits once the stop is done.
    if (signals === 0) throw error;
    await running.stop();
    return;
  }
  if (http !== undefined) {
    try {
      const routes = dashboardRoutes(running, { appName: definition.name });
      const server = await startOperationsServer(running, { ...http, routes, ...(token === undefined ? {} : { token }) });
      server.unref();
    } catch (error) {
      // A taken port or the like: stop cleanly rather than exit with handlers mid-flight.
      await running.stop();
      throw new ConfigError(`${http.flag}: cannot listen on ${http.host}:${http.port}: ${(error as Error).message}`, { cause: error });
    }
    const base = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;
    log.info({ operations: base, token: token !== undefined }, `operations port: ${base}/ (dashboard), /metrics, /health`);
    if (token === undefined && !isLoopback(http.host)) {
      log.warn(
        { operations: base },
        'the operations port is reachable from other machines without a token: set WARREN_HTTP_TOKEN (see docs/security.md)',
      );
    }
  }
}

/**
 * The operations port and host: --http-port, else its old name --health-port, else
 * WARREN_HTTP_PORT; undefined when none is given (no port is opened).
 */
function operationsPort(opts: StartOptions): { port: number; host: string; flag: string } | undefined {
  if (opts.httpPort !== undefined && opts.healthPort !== undefined && opts.httpPort !== opts.healthPort) {
    throw new ConfigError(`--http-port and --health-port name one port (the latter is its old name): give one`);
  }
  const [flag, text] =
    opts.httpPort !== undefined
      ? ['--http-port', opts.httpPort]
      : opts.healthPort !== undefined
        ? ['--health-port', opts.healthPort]
        : ['WARREN_HTTP_PORT', process.env.WARREN_HTTP_PORT?.trim() || undefined];
  if (text === undefined) {
    if (opts.httpHost !== undefined) throw new ConfigError('--http-host needs --http-port (or WARREN_HTTP_PORT)');
    return undefined;
  }
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${flag} must be a port from 1 to 65535, got "${text}"`);
  const host = opts.httpHost ?? '127.0.0.1';
  if (host.trim() === '') throw new ConfigError('--http-host must name an address, e.g. 127.0.0.1 or 0.0.0.0');
  return { port, host, flag };
}

/** Only this machine can reach an address like these. */
function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${text}"`);
  return n;
}
