import { rabbitmqctl } from './rabbitmqctl.js';

/**
 * Closes (server side, 320 CONNECTION_FORCED) only the connections whose client-provided name
 * starts with `prefix`, e.g. one app's `<app>:consume`. Via rabbitmqctl, so a local broker only.
 */
export async function closeConnectionsNamed(prefix: string, reason = 'test'): Promise<number> {
  // JSON gives client properties but a pid close_connection will not parse; the table gives the pid. Join on peer port.
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'peer_port', 'client_properties', '--formatter', 'json')) as Array<{
    peer_port: number;
    client_properties: Array<[string, string, unknown]>;
  }>;
  const pidByPort = new Map<number, string>();
  for (const line of (await rabbitmqctl('list_connections', 'pid', 'peer_port', '--no-table-headers')).split('\n')) {
    const [pid, port] = line.trim().split(/\s+/);
    if (pid !== undefined && port !== undefined) pidByPort.set(Number(port), pid);
  }
  let closed = 0;
  for (const row of rows) {
    const name = row.client_properties.find(([k]) => k === 'connection_name')?.[2];
    const pid = pidByPort.get(row.peer_port);
    if (typeof name === 'string' && name.startsWith(prefix) && pid !== undefined) {
      await rabbitmqctl('close_connection', pid, reason);
      closed++;
    }
  }
  return closed;
}
