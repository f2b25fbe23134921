import { startTestBroker } from '@warren/testing';

/**
 * The RabbitMQ Warren's own integration tests run against, found as `startTestBroker()` finds
 * one for any app team (AMQP_URL, else localhost:5672, else Testcontainers). Most of these tests
 * also drive the broker with rabbitmqctl, so in practice it is a local one.
 */
export const BROKER_URL = (await startTestBroker()).url;

/**
 * The client-provided name of a connection in `rabbitmqctl list_connections client_properties
 * --formatter json`, or ''. A connection still in its handshake has no properties yet, and lists
 * them as something other than an array (tests side by side open connections at any moment).
 */
export function connectionNameIn(clientProperties: unknown): string {
  if (!Array.isArray(clientProperties)) return '';
  const entry = (clientProperties as Array<[string, string, unknown]>).find(([k]) => k === 'connection_name');
  return entry === undefined ? '' : String(entry[2]);
}
