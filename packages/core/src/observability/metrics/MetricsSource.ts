import { Gauge, type Registry } from 'prom-client';
import type { ConnectionManager } from '../../connection/ConnectionManager.js';
import type { ConsumerRuntime } from '../../consumer/ConsumerRuntime.js';
import type { WarrenEvents } from '../../events/events.js';
import type { TypedEvents } from '../../events/TypedEvents.js';
import type { Publisher } from '../../publisher/Publisher.js';

/** What the metrics read: a running app's parts (a WarrenApp is one). */
export interface MetricsSource {
  readonly events: TypedEvents<WarrenEvents>;
  readonly consumers: readonly ConsumerRuntime[];
  readonly publisher: Publisher;
  readonly connections: { readonly consume: ConnectionManager; readonly publish: ConnectionManager };
}

/** Seconds, from ms: Prometheus' base unit for time. */
export const seconds = (ms: number): number => ms / 1000;

/** A gauge whose values are read when the registry is scraped: `fill` sets them, after the last scrape's are cleared. */
export function scrapedGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  fill: (g: Gauge<L>) => void,
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill(this);
    },
  });
}
