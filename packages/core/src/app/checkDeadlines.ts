import type { BrokerAddress } from '../connection/brokerUrl.js';
import type { ConsumerRuntime } from '../consumer/ConsumerRuntime.js';
import { ConfigError } from '../errors/WarrenError.js';
import { readBrokerConsumerTimeout } from '../topology/consumerTimeout.js';

/**
 * Refuses a `timeoutMs` the broker's consumer_timeout would beat: the broker would close the
 * whole channel first and requeue every unacked message on it, not only the slow one.
 */
export async function checkDeadlinesAgainstBroker(
  consumers: readonly ConsumerRuntime[],
  broker: BrokerAddress,
  consumerTimeoutMs: number | undefined,
): Promise<void> {
  const env = process.env.WARREN_CONSUMER_TIMEOUT_MS;
  const explicit = consumerTimeoutMs ?? (env === undefined || env === '' ? undefined : Number(env));
  if (explicit !== undefined && !(Number.isInteger(explicit) && explicit >= 0)) {
    throw new ConfigError(`consumerTimeoutMs (WARREN_CONSUMER_TIMEOUT_MS) must be a whole number of ms, got ${JSON.stringify(env)}`);
  }
  // Asking rabbitmqctl takes most of a second: only when some consumer has a deadline to check.
  if (consumers.every((c) => c.options.timeoutMs === undefined)) return;
  const found = await readBrokerConsumerTimeout(broker, explicit);
  for (const c of consumers) {
    const perQueue = c.options.arguments['x-consumer-timeout'];
    const limit = typeof perQueue === 'number' ? perQueue : found.ms;
    const source = typeof perQueue === 'number' ? 'the queue argument x-consumer-timeout' : `consumer_timeout, ${found.source}`;
    if (limit === undefined) continue;
    const timeoutMs = c.options.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs >= limit) {
      throw new ConfigError(
        `@Consumer ${c.name}: option "timeoutMs" (${timeoutMs} ms) must be below the broker's delivery timeout (${limit} ms, ${source}): ` +
          'the broker would close the channel first and requeue every unacked message on it',
      );
    }
  }
}
