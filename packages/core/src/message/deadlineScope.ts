import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The deadline of the message a handler is handling, for what that handler publishes: the
 * Publisher reads it, so work published on behalf of a caller carries the caller's deadline.
 *
 * AsyncLocalStorage makes every promise in the process slower while it is enabled (measured here
 * on Node 20: a promise-bound loop ran 2.5× slower), so it is enabled only while a handler of a
 * message with a deadline runs, and disabled again when the last one ends. Messages without a
 * deadline never pay for it.
 */
const scope = new AsyncLocalStorage<number>();
let running = 0;

/**
 * Runs `handle` so that what it publishes carries `deadline` (ms since the epoch); as is when there is none.
 *
 * While the store is enabled, Node gives every new promise in the process an async id and the
 * store (symbol properties added one by one, through V8's slow path): measured with callgrind at
 * one request/reply caller, several thousand instructions per promise. So as few promises as can
 * be are made while it is on: `handle` runs inside `run` directly, and the store is left in this
 * function's `finally`, not in a `.finally()` chain (whose promises were made while it was on).
 */
export async function withMessageDeadline(deadline: number | undefined, handle: () => unknown): Promise<unknown> {
  if (deadline === undefined) return handle();
  running++;
  try {
    return await scope.run(deadline, handle);
  } finally {
    if (--running === 0) scope.disable();
  }
}

/** The deadline of the message whose handler is running here, if it has one. */
export function messageDeadlineHere(): number | undefined {
  return running === 0 ? undefined : scope.getStore();
}
