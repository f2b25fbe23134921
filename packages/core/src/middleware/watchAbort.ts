import type { ConsumeContext } from './Middleware.js';

/** The key of a context's cheap abort watch (Delivery has one); not part of the public contract. */
export const WATCH_ABORT: unique symbol = Symbol('warren.watchAbort');

/** An unwatch that has nothing to undo (a watch not taken yet, or taken after the abort). */
export const UNWATCHED = (): void => undefined;

/** A context that can call `fn` when it aborts without an AbortSignal: returns what unwatches. */
export interface AbortWatchable {
  [WATCH_ABORT](fn: () => void): () => void;
}

/**
 * Calls `fn` once when `ctx` aborts, until the returned function unwatches it; nothing if it has
 * aborted already (as an AbortSignal listener added then). Warren's own policies wait this way:
 * a Delivery makes its AbortSignal only when someone reads it, and making one, adding a listener
 * and removing it cost 7.7 µs on Node 20 here (a microbenchmark of 200,000 each), more than
 * the rest of a wait. A context without the watch (a test's, a policy's own) gets its signal's listener.
 */
export function watchAbort(ctx: ConsumeContext, fn: () => void): () => void {
  const watch = (ctx as Partial<AbortWatchable>)[WATCH_ABORT];
  if (watch !== undefined) return watch.call(ctx, fn);
  const signal = ctx.signal;
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
