import { ConnectionManager } from '@warren/core';
import type { CliBroker } from '../broker/brokerOptions.js';

/** An operator's connection: no reconnecting, fails at once with a one-line error. */
export async function adminConnection(broker: CliBroker): Promise<ConnectionManager> {
  const connection = new ConnectionManager({ urls: broker.urls, tls: broker.tls, role: 'admin', appName: 'warren-cli', reconnect: false });
  await connection.start();
  return connection;
}
