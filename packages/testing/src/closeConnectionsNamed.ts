import { CONNECTION_NAME_ERL, connectionNameIn } from './connectionName.js';
import { erlangBinary, localNode } from './localNode.js';
import { rabbitmqctl } from './rabbitmqctl.js';

/**
 * Closes (server side, 320 CONNECTION_FORCED) only the connections whose client-provided name
 * starts with `prefix`, e.g. one app's `<app>:consume`. A local broker only: the calls rabbitmqctl
 * `list_connections` and `close_connection` make, through erl_call where the node answers
 * (localNode.ts), else rabbitmqctl itself.
 */
export async function closeConnectionsNamed(prefix: string, reason = 'test'): Promise<number> {
  const node = await localNode();
  if (node !== undefined) {
    return node.json<number>(
      `length([rabbit_networking:close_connection(C, ${erlangBinary(reason)}) || C <- rabbit_networking:connections(), ` +
        `P <- [try proplists:get_value(client_properties, rabbit_networking:connection_info(C, [client_properties]), []) catch _:_ -> [] end], ` +
        `binary:longest_common_prefix([(${CONNECTION_NAME_ERL})(P), ${erlangBinary(prefix)}]) =:= ${Buffer.byteLength(prefix)}])`,
    );
  }
  // JSON gives client properties but a pid close_connection will not parse; the table gives the pid. Join on peer port.
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'peer_port', 'client_properties', '--formatter', 'json')) as Array<{
    peer_port: number;
    client_properties: unknown;
  }>;
  const pidByPort = new Map<number, string>();
  for (const line of (await rabbitmqctl('list_connections', 'pid', 'peer_port', '--no-table-headers')).split('\n')) {
    const [pid, port] = line.trim().split(/\s+/);
    if (pid !== undefined && port !== undefined) pidByPort.set(Number(port), pid);
  }
  let closed = 0;
  for (const row of rows) {
    const name = connectionNameIn(row.client_properties);
    const pid = pidByPort.get(row.peer_port);
    if (name.startsWith(prefix) && pid !== undefined) {
      await rabbitmqctl('close_connection', pid, reason);
      closed++;
    }
  }
  return closed;
}
