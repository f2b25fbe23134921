import type { BreakerOpenError } from '../errors/handlerErrors.js';
import type { WarrenEvents } from '../events/events.js';
import type { TypedEvents } from '../events/TypedEvents.js';
import type { BreakerTransition } from './BreakerMachine.js';
import type { ConsumeContext, ConsumerHost } from './Middleware.js';

/**
 * One consumer a circuit breaker serves (CircuitBreaker.attach): the deliveries it let in, what
 * it put back, and the consumer's intake, which each transition stops, narrows or restores.
 * Apart from CircuitBreaker because one breaker may serve several consumers (a shared breaker):
 * it decides once, and each link acts on its own consumer.
 */
export class BreakerLink {
  /**
   * Let in and not yet ended: those whose handler has not started are put back when the breaker
   * opens. An array with swap-remove, bounded by prefetch: a Set that empties and fills again on
   * every message rehashes each time (+1 µs a message in a micro-benchmark, where the whole
   * policy costs +0.2 µs with this).
   */
  readonly admitted: ConsumeContext[] = [];
  /** The consumer's controls, applied one after another (a pause must not overtake a resume). */
  #ops: Promise<void> = Promise.resolve();
  /** Deliveries this breaker sent back to the queue uncounted. */
  putBack = 0;
  /** Failures of this consumer waiting for the window's verdict. */
  held = 0;

  constructor(
    readonly host: ConsumerHost,
    /** A pause reason of its own, so two breakers on one consumer never lift each other's pause. */
    readonly reason: string,
  ) {}

  ended(ctx: ConsumeContext): void {
    const list = this.admitted;
    const i = list.indexOf(ctx);
    if (i < 0) return;
    const last = list.pop() as ConsumeContext;
    if (i < list.length) list[i] = last;
  }

  /** Stops the consumer's intake: the broker consumer is cancelled, the queue keeps its messages. */
  pause(): void {
    this.#control((h) => h.pause(this.reason));
  }

  /** The breaker opened: intake stops, and deliveries let in but not at their handler yet (waiting for a slot or a token) go back to the queue. */
  opened(refusal: BreakerOpenError): void {
    this.pause();
    for (const ctx of [...this.admitted]) {
      if (ctx.started || ctx.aborted) continue;
      this.putBack++;
      ctx.abort(refusal);
    }
  }

  /** Half-open: intake resumes with a prefetch of the probes (this breaker's cap on the window). */
  halfOpened(probes: number): void {
    this.#control(async (h) => {
      // Narrow the window first, so the subscription that resume() makes takes only the probes.
      await h.setPrefetch(Math.min(probes, h.prefetch), this.reason);
      await h.resume(this.reason);
    });
  }

  /** Closed: this breaker's cap is lifted (the window is then what other policies ask, or the configured one). */
  closed(): void {
    this.#control((h) => h.setPrefetch(undefined, this.reason));
  }

  #control(op: (host: ConsumerHost) => Promise<void>): void {
    this.#ops = this.#ops
      .then(() => op(this.host))
      .catch((error: unknown) => {
        this.host.log.warn({ err: (error as Error)?.message ?? String(error) }, 'circuit breaker could not change intake');
      });
  }
}

/** One event per app and one log line per transition of breaker `name`, whatever the number of consumers it serves. */
export function tellTransition(name: string, t: BreakerTransition, links: readonly BreakerLink[]): void {
  const byEvents = new Map<TypedEvents<WarrenEvents>, string[]>();
  for (const link of links) {
    const names = byEvents.get(link.host.events) ?? [];
    names.push(link.host.consumer);
    byEvents.set(link.host.events, names);
  }
  const consumers = links.map((l) => l.host.consumer);
  const log = links[0]?.host.log;
  if (t.to === 'open') {
    const detail =
      t.failureRate === undefined
        ? { openMs: t.openMs, reason: t.reason }
        : { openMs: t.openMs, reason: t.reason, failureRate: t.failureRate };
    log?.warn({ breaker: name, consumers, ...detail }, `circuit breaker open: intake stopped for ${t.openMs} ms`);
    for (const [events, names] of byEvents) events.emit('breakerOpen', name, names, detail);
  } else if (t.to === 'half-open') {
    log?.info({ breaker: name, consumers, probes: t.probes }, 'circuit breaker half-open: letting probes through');
    for (const [events, names] of byEvents) events.emit('breakerHalfOpen', name, names, { probes: t.probes });
  } else {
    log?.info({ breaker: name, consumers }, 'circuit breaker closed: intake resumed');
    for (const [events, names] of byEvents) events.emit('breakerClosed', name, names);
  }
}
