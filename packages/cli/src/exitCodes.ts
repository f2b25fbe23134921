/** Exit codes of the `warren` command, documented in its --help. */
export const exitCodes = {
  ok: 0,
  /** A connection problem: broker unreachable, login refused, lost for good. */
  connection: 1,
  /** A bad option, module or setting: fix the app, not the broker. */
  config: 2,
  /** Stopped, but some deliveries or publishes could not be settled (they return to the queue). */
  unsettled: 3,
  /** A second signal cut shutdown short. */
  forced: 130,
} as const;
