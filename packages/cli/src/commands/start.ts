import { type AppRunOptions, redactUrl, urlsFromEnv, WarrenApp } from '@warren/core';
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
 * everything settled. A second signal exits at once: unacked messages go back to the queue.
 */
export async function startCommand(modulePath: string, opts: StartOptions): Promise<void> {
  const definition = await loadApp(modulePath);
  const log = cliLogger(definition.name ?? 'warren');
  const runOptions: AppRunOptions = { urls: opts.url ?? urlsFromEnv(), logger: log };
  if (opts.grace !== undefined) runOptions.shutdownGraceMs = positiveInt('--grace', opts.grace);
  if (opts.heartbeat !== undefined) runOptions.heartbeatSec = positiveInt('--heartbeat', opts.heartbeat);
  if (opts.only !== undefined) runOptions.only = opts.only.split(',').map((s) => s.trim());
  const healthPort = opts.healthPort === undefined ? undefined : positiveInt('--health-port', opts.healthPort);
  const app = await WarrenApp.create(definition, runOptions);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now; unacked messages return to the queue');
      process.exit(exitCodes.forced);
    }
    log.info({ signal }, 'signal received: stopping');
    app.stop().then(
      (report) => {
        log.flush();
        process.exit(report.clean ? exitCodes.ok : exitCodes.unsettled);
      },
      (error: unknown) => {
        log.error({ err: (error as Error).message }, 'stop failed');
        process.exit(exitCodes.unsettled);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  app.events.on('fatal', (error) => {
    process.stderr.write(`warren: ${error.message}\n`);
    void app.stop(0).finally(() => process.exit(exitCodes.connection));
  });

  const urls = Array.isArray(runOptions.urls) ? runOptions.urls : String(runOptions.urls).split(',');
  log.info({ broker: urls.map((u) => redactUrl(u.trim())) }, 'starting');
  await app.start();
  if (healthPort !== undefined) {
    try {
      const server = await startHealthServer(app, healthPort);
      server.unref();
      log.info({ port: healthPort }, 'health endpoint on http://127.0.0.1:<port>/health');
    } catch (error) {
      // Taken port or the like: stop cleanly rather than exit with handlers mid-flight.
      await app.stop();
      throw error;
    }
  }
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${text}"`);
  return n;
}
