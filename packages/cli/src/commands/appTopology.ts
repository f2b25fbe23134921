import { planTopology, silentLogger, type TopologyPlan, WarrenApp } from '@warren/core';
import { type BrokerFlags, type CliBroker, operatorBroker } from '../broker/brokerOptions.js';
import { loadApp } from '../loadApp.js';

/** The flags `check`, `topology` and `status` share. */
export interface OperatorOptions extends BrokerFlags {
  json?: boolean;
  only?: string;
}

export interface AppTopology {
  name: string;
  app: WarrenApp;
  plan: TopologyPlan;
  /** Where the command connects, and how. */
  broker: CliBroker;
}

/**
 * Loads the app as `warren start` does and creates it (every option checked, every consumer
 * built), without connecting; then plans what it declares. Logs are silent: these commands
 * print a report, and `--json` must be the only thing on stdout.
 */
export async function loadAppTopology(modulePath: string, opts: OperatorOptions): Promise<AppTopology> {
  const broker = operatorBroker(opts);
  const definition = await loadApp(modulePath);
  const app = await WarrenApp.create(definition, {
    urls: broker.urls,
    tls: broker.tls,
    ...(opts.only === undefined ? {} : { only: opts.only.split(',').map((s) => s.trim()) }),
    logger: silentLogger(),
    liveness: false,
  });
  const plan = planTopology(
    app.consumers.map((c) => c.options),
    { limitQueues: app.publisher.limits().map((l) => l.queue) },
  );
  return { name: definition.name ?? 'warren', app, plan, broker };
}

/** Writes the report, then exits with `code`: an app's own handles (a pool its configure opened) must not keep a one-shot command alive. */
export async function finish(text: string, code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  process.exit(code);
}
