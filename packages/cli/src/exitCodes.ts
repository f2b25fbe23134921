import { WarrenError } from '@warren/core';

/** Exit codes of the `warren` command, documented in its --help. */
export const exitCodes = {
  ok: 0,
  /** A connection problem: broker unreachable, login refused, lost for good. */
  connection: 1,
  /** A bad option, module or setting: fix the app, not the broker. */
  config: 2,
  /** Stopped, but some deliveries or publishes could not be settled (they return to the queue). */
  unsettled: 3,
  /** `warren check` / `topology --apply`: the broker's queues, exchanges or bindings differ from what the app declares. */
  drift: 4,
  /** A second signal cut shutdown short. */
  forced: 130,
} as const;

/** The exit code of an error that ends a command: a bad app, option, URL or topology is 2; any other WarrenError (the broker unreachable, the login refused) 1; anything else 2. */
export function exitCodeOf(error: unknown): number {
  if (!WarrenError.is(error)) return exitCodes.config;
  const config = error.code === 'WARREN_ERR_CONFIG' || error.code === 'WARREN_ERR_BAD_URL' || error.code === 'WARREN_ERR_TOPOLOGY';
  return config ? exitCodes.config : exitCodes.connection;
}
