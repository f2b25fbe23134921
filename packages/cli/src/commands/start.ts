import { type AppRunOptions, type Logger, redactUrl, resolveBrokerUrls, WarrenApp } from '@warren/core';
import { exitCodes } from '../exitCodes.js';
import { startHealthServer } from '../healthServer.js';
import { loadApp } from '../loadApp.js';
import { cliLogger } from '../logging.js';

export interface StartOptions {
  url?: string;
  grace?: string;
  only?: string;
  heartbeat?: string;
  healthPort?: string;
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

  const definition = await loadApp(modulePath);
  log = cliLogger(definition.name ?? 'warren');
  const urls = resolveBrokerUrls({ urls: opts.url }, process.env, { urls: '--url' });
  const runOptions: AppRunOptions = { urls, logger: log };
  if (opts.grace !== undefined) runOptions.shutdownGraceMs = positiveInt('--grace', opts.grace);
  if (opts.heartbeat !== undefined) runOptions.heartbeatSec = positiveInt('--heartbeat', opts.heartbeat);
  if (opts.only !== undefined) runOptions.only = opts.only.split(',').map((s) => s.trim());
  const healthPort = opts.healthPort === undefined ? undefined : positiveInt('--health-port', opts.healthPort);
  app = await WarrenApp.create(definition, runOptions);
  const running = app;
  running.events.on('fatal', (error) => {
    process.stderr.write(`warren: ${error.message}\n`);
    void running.stop(0).finally(() => process.exit(exitCodes.connection));
  });

  log.info({ broker: urls.map(redactUrl) }, 'starting');
  try {
    await running.start();
  } catch (error) {
    // Stopped by a signal: its handler reports and exits once the stop is done.
    if (signals === 0) throw error;
    await running.stop();
    return;
  }
  if (healthPort !== undefined) {
    try {
      const server = await startHealthServer(running, healthPort);
      server.unref();
      log.info({ port: healthPort }, 'health endpoint on http://127.0.0.1:<port>/health');
    } catch (error) {
      // Taken port or the like: stop cleanly rather than exit with handlers mid-flight.
      await running.stop();
      throw error;
    }
  }
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${text}"`);
  return n;
}
