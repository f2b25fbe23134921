/**
 * The client-provided name of a connection (`connection_name` in its client properties), as
 * `rabbitmqctl list_connections client_properties --formatter json` lists them; '' when it has
 * none. A connection still in its handshake (protocol header sent, start-ok not yet) has no
 * properties yet and lists them as something other than an array.
 */
export function connectionNameIn(clientProperties: unknown): string {
  if (!Array.isArray(clientProperties)) return '';
  const entry = (clientProperties as Array<[string, string, unknown]>).find(([k]) => k === 'connection_name');
  return entry === undefined ? '' : String(entry[2]);
}

/**
 * The same, as an Erlang fun for expressions evaluated on the node: from a connection's
 * `client_properties` (rabbit_networking:connection_info) to its name, or <<>>. During the
 * handshake the node reports the atom none there, not a list.
 */
export const CONNECTION_NAME_ERL =
  'fun(P) -> case is_list(P) andalso lists:keyfind(<<"connection_name">>, 1, P) of {_, _, N} when is_binary(N) -> N; _ -> <<>> end end';
