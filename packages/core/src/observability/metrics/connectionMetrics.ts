import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConnectionManager } from '../../connection/ConnectionManager.js';
import type { Disposable } from '../../events/TypedEvents.js';
import { type MetricsSource, seconds } from './MetricsSource.js';
import { StateClock } from './StateClock.js';

/**
 * Each connection's flow control (label `connection`: consume or publish): blocked now (0/1),
 * seconds blocked in all (the block under way included), reconnects, and whether it is up. Read
 * at scrape time, but for the blocked time, which the blocked/unblocked events clock.
 */
export function registerConnectionMetrics(source: MetricsSource, registry: Registry): Disposable[] {
  const registers = [registry];
  const connections: ConnectionManager[] = [source.connections.consume, source.connections.publish];
  const clocks = new Map<string, StateClock<'blocked' | 'free'>>();
  const subscriptions: Disposable[] = [];
  for (const c of connections) {
    const clock = new StateClock<'blocked' | 'free'>(c.isBlocked ? 'blocked' : 'free', Date.now());
    clocks.set(c.role, clock);
    subscriptions.push(
      c.events.on('blocked', () => clock.enter('blocked', Date.now())),
      c.events.on('unblocked', () => clock.enter('free', Date.now())),
    );
  }
  const gauge = (name: string, help: string, value: (c: ConnectionManager) => number): void => {
    new Gauge<'connection'>({
      name,
      help,
      labelNames: ['connection'],
      registers,
      collect() {
        this.reset();
        for (const c of connections) this.set({ connection: c.role }, value(c));
      },
    });
  };
  gauge('warren_connection_blocked', '1 while the broker blocks the connection (a memory or disk alarm), else 0', (c) =>
    c.isBlocked ? 1 : 0,
  );
  gauge('warren_connection_up', '1 while the connection is open, else 0 (reconnecting, closed)', (c) => (c.state === 'connected' ? 1 : 0));
  new Counter<'connection'>({
    name: 'warren_connection_blocked_seconds_total',
    help: 'Seconds the broker has blocked the connection, in all',
    labelNames: ['connection'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const [connection, clock] of clocks) this.inc({ connection }, seconds(clock.totalMs('blocked', now)));
    },
  });
  new Counter<'connection'>({
    name: 'warren_connection_reconnects_total',
    help: 'Times the connection was opened again after a loss',
    labelNames: ['connection'],
    registers,
    collect() {
      this.reset();
      for (const c of connections) this.inc({ connection: c.role }, Math.max(0, c.generation - 1));
    },
  });
  return subscriptions;
}
