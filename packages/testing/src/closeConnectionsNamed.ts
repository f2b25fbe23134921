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
    // A connection still in its handshake reports client_properties as the atom none, not a list.
    const name = 'case is_list(P) andalso lists:keyfind(<<"connection_name">>, 1, P) of {_, _, N} when is_binary(N) -> N; _ -> <<>> end';
    return node.json<number>(
      `length([rabbit_networking:close_connection(C, ${erlangBinary(reason)}) || C <- rabbit_networking:connections(), ` +
        `P <- [try proplists:get_value(client_properties, rabbit_networking:connection_info(C, [client_properties]), []) catch _:_ -> [] end], ` +
        `binary:longest_common_prefix([${name}, ${erlangBinary(prefix)}]) =:= ${Buffer.byteLength(prefix)}])`,
    );
  }
  // JSON gives client properties but a pid close_connection will not parse; the table gives the pid. Join on peer port.
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'peer_port', 'client_properties', '--formatter', 'json')) as Array<{
    peer_port: number;
    client_properties: Array<[string, string, unknown]> | unknown;
  }>;
  const pidByPort = new Map<number, string>();
  for (const line of (await rabbitmqctl('list_connections', 'pid', 'peer_port', '--no-table-headers')).split('\n')) {
    const [pid, port] = line.trim().split(/\s+/);
    if (pid !== undefined && port !== undefined) pidByPort.set(Number(port), pid);
  }
  let closed = 0;
  for (const row of rows) {
    const properties = Array.isArray(row.client_properties) ? (row.client_properties as Array<[string, string, unknown]>) : [];
    const name = properties.find(([k]) => k === 'connection_name')?.[2];
    const pid = pidByPort.get(row.peer_port);
    if (typeof name === 'string' && name.startsWith(prefix) && pid !== undefined) {
      await rabbitmqctl('close_connection', pid, reason);
      closed++;
    }
  }
  return closed;
}
