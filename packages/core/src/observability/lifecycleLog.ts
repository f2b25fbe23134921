import type { WarrenEvents } from '../events/events.js';
import type { Disposable, TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';

/** What the lifecycle log needs of each consumer. */
export interface LoggedConsumer {
  readonly name: string;
  readonly options: { readonly queue: string; readonly prefetch: number };
}

/**
 * Log lines for lifecycle events the mechanisms do not log themselves: each consumer attached
 * (its first subscription; a restore after a loss is logged by the consumer), and, at debug only,
 * one line per settled message. The per-message listener is added only when debug is on when the
 * app is made, so an app at info pays nothing per message for it.
 */
export function attachLifecycleLog(events: TypedEvents<WarrenEvents>, consumers: readonly LoggedConsumer[], log: Logger): Disposable[] {
  const attached = new Set<string>();
  const byName = new Map(consumers.map((c) => [c.name, c]));
  const subscriptions = [
    events.on('consumerState', (name, state) => {
      const c = byName.get(name);
      if (state !== 'consuming' || c === undefined || attached.has(name)) return;
      attached.add(name);
      log.info({ consumer: name, queue: c.options.queue, prefetch: c.options.prefetch }, 'consumer attached');
    }),
  ];
  if (log.isLevelEnabled('debug')) {
    subscriptions.push(
      events.on('settled', (consumer, outcome, durationMs, onBroker, messageId) => {
        log.debug({ consumer, messageId, outcome, durationMs, settledOnBroker: onBroker }, 'message settled');
      }),
    );
  }
  return subscriptions;
}
