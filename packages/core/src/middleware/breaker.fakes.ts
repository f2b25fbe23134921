/**
 * The fakes breaker.test.ts drives the breaker with (test-only: `*.fakes.*` is left out of the
 * published package): the part of a delivery the breaker reads, a consumer's controls that record
 * what it was asked, and a call whose handler ends when the test says. Its clock is clock.fakes.ts.
 */
import { DependencyDown } from '../errors/handlerErrors.js';
import type { WarrenEvents } from '../events/events.js';
import { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import type { ConsumeContext, ConsumerHost, Middleware } from './Middleware.js';

export type Ctx = ConsumeContext & { started: boolean };

/** The part of a delivery the breaker reads and aborts. */
export function fakeCtx(): Ctx {
  const controller = new AbortController();
  let reason: unknown;
  return {
    started: false,
    get aborted() {
      return controller.signal.aborted;
    },
    get abortReason() {
      return reason;
    },
    signal: controller.signal,
    abort(r: Error) {
      if (controller.signal.aborted) return;
      reason = r;
      controller.abort(r);
    },
  } as unknown as Ctx;
}

/** A consumer's controls that record what the breaker asked of them, in order. */
export function fakeHost(consumer: string, events = new TypedEvents<WarrenEvents>(), logs: string[] = [], configured = 10) {
  const calls: string[] = [];
  const stop = new AbortController();
  let prefetch = configured;
  const caps = new Map<string, number>();
  const line =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      logs.push(`${level} ${consumer}: ${msg}`);
      void obj;
    };
  const host = {
    consumer,
    queue: `${consumer}.q`,
    prefetch: configured,
    log: { warn: line('warn'), info: line('info'), debug: line('debug'), error: line('error') } as unknown as Logger,
    events,
    stopSignal: stop.signal,
    inFlight: () => 0,
    pause: async (reason: string) => void calls.push(`pause ${reason}`),
    resume: async (reason: string) => void calls.push(`resume ${reason}`),
    prefetchNow: () => prefetch,
    // As the runtime does: each owner's cap, the window the smallest.
    setPrefetch: async (n: number | undefined, owner = 'default') => {
      if (n === undefined) caps.delete(owner);
      else caps.set(owner, n);
      prefetch = Math.min(configured, ...caps.values());
      calls.push(`prefetch ${prefetch}`);
    },
    emit: () => undefined,
  } as unknown as ConsumerHost;
  return { host, calls, logs, stop: () => stop.abort() };
}

/** Lets queued host controls (a promise chain) run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** Runs a call through the policy: the "handler" starts, then waits for `end` to say how it ends. */
export function call(mw: Middleware, ctx: Ctx = fakeCtx()) {
  let finish: (error?: unknown) => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const result = mw.run(ctx, async (c) => {
    (c as Ctx).started = true;
    await ended;
  });
  const outcome = result.then(
    () => 'ok' as unknown,
    (e: unknown) => e,
  );
  return { ctx, result, outcome, succeed: () => finish(), fail: (e: unknown = new Error('downstream 500')) => finish(e) };
}

/** A handler's DependencyDown without retryAfterMs: open for openMs. */
export async function trip(mw: Middleware): Promise<void> {
  const c = call(mw);
  c.fail(new DependencyDown());
  await c.outcome;
}
