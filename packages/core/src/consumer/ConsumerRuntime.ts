import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { ClosedError } from '../errors/WarrenError.js';
import type { ConsumerState, WarrenEvents } from '../events/events.js';
import type { Disposable, TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';
import type { ConsumerHost, Policy } from '../middleware/Middleware.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { deadLetterQueueName } from '../topology/names.js';
import { ConsumerChannel } from './ConsumerChannel.js';
import type { ConsumerStats, IntakeOff } from './ConsumerStats.js';
import { Dispatcher, type MessageHandler } from './Dispatcher.js';
import { InFlight } from './InFlight.js';
import { InterruptedDeliveries, identityOf, identityOfId } from './InterruptedDeliveries.js';
import { describeFailure } from './outcome.js';
import { Reopener } from './Reopener.js';
import { Replier } from './Replier.js';
import type { Republisher } from './Republisher.js';
import { Settler } from './Settler.js';
import { SuspectIsolator } from './SuspectIsolator.js';

export type { ConsumerStats, IntakeOff, MessageHandler };

export interface ConsumerDeps {
  connection: ConnectionManager;
  republisher: Republisher;
  logger: Logger;
  events: TypedEvents<WarrenEvents>;
  /** The app's policies (`defineApp({ use })`): outermost, around every consumer's own. */
  appPolicies?: readonly Policy[];
}

const SHUTDOWN_ABORT = new ClosedError('worker is shutting down');
const KEPT_CLASSIC =
  'a classic retry queue or DLQ (made by an earlier Warren) is kept for this quorum consumer; it lives on one node: delete it once empty, and the next start makes it quorum';
const CHANNEL_LOST = new ClosedError('the channel of this delivery was lost; the broker delivers it again');

/**
 * One consumer's lifecycle: start, pause/resume, stop, recovery, and the intake guard that
 * names why it is not taking messages. Each delivery goes
 *
 *   classify (attempt, suspect) -> decode -> validate -> policies -> handler -> decide -> settle once
 *
 * Back-pressure is the absence of settles: while handlers are busy their deliveries stay
 * unacked, the prefetch window stays full, and the broker sends nothing more.
 */
export class ConsumerRuntime {
  readonly options: ResolvedConsumerOptions;
  readonly #deps: ConsumerDeps;
  readonly #log: Logger;
  readonly #channel: ConsumerChannel;
  readonly #inFlight = new InFlight();
  readonly #interrupted: InterruptedDeliveries;
  readonly #settler: Settler;
  readonly #isolator: SuspectIsolator;
  readonly #dispatcher: Dispatcher;
  readonly #reopener: Reopener;
  readonly #replier: Replier;
  readonly #stopSignal = new AbortController();
  readonly #pausedBy = new Set<string>();
  /** Each policy's cap on the prefetch window (host.setPrefetch); the window is the smallest. */
  readonly #prefetchCaps = new Map<string, number>();
  readonly #subscriptions: Disposable[] = [];
  #state: ConsumerState = 'idle';
  #intake: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #consumingSince = 0;
  #leftUnsettled = 0;

  constructor(options: ResolvedConsumerOptions, handler: MessageHandler, deps: ConsumerDeps) {
    this.options = options;
    this.#deps = deps;
    this.#log = deps.logger.child({ consumer: options.name, queue: options.queue });
    this.#channel = new ConsumerChannel(deps.connection, options, {
      closed: (generation, current) => this.#channelClosed(generation, current),
      cancelled: () => {
        this.#reopener.interruptedBy('the broker cancelled the consumer (queue deleted?)');
        this.#reopener.schedule('consumer cancelled by broker');
      },
      failed: (reason) => this.#reopener.interruptedBy(reason),
      keptClassic: (queue) => this.#log.warn({ queue }, KEPT_CLASSIC),
    });
    this.#reopener = new Reopener({
      name: options.name,
      connection: deps.connection,
      channel: this.#channel,
      log: this.#log,
      events: deps.events,
      stopping: () => this.#stopping !== undefined,
      delays: () => this.#settler.declaredDelays,
      restored: () => this.#intakeChanged(),
      interrupted: () => {
        if (this.#state !== 'idle' && this.#state !== 'starting') this.#setState('recovering');
      },
    });
    this.#interrupted = new InterruptedDeliveries(Math.max(1000, 4 * options.prefetch));
    this.#settler = new Settler({
      options,
      channel: this.#channel,
      republisher: deps.republisher,
      inFlight: this.#inFlight,
      interrupted: this.#interrupted,
      events: deps.events,
      log: this.#log,
      stopSignal: this.#stopSignal.signal,
    });
    this.#isolator = new SuspectIsolator({
      options,
      channel: this.#channel,
      inFlight: this.#inFlight,
      settler: this.#settler,
      log: this.#log,
      intakeChanged: () => this.#intakeChanged(),
      process: (d) => this.#dispatcher.process(d),
    });
    this.#replier = new Replier(deps.republisher, this.#log);
    this.#dispatcher = new Dispatcher({
      options,
      handler,
      settler: this.#settler,
      isolator: this.#isolator,
      inFlight: this.#inFlight,
      interrupted: this.#interrupted,
      log: this.#log,
      host: this.#host(),
      appPolicies: deps.appPolicies ?? [],
      replier: this.#replier,
    });
  }

  get name(): string {
    return this.options.name;
  }
  get state(): ConsumerState {
    return this.#state;
  }
  /** The prefetch window at the broker now: the configured one, or what a policy (the adaptive limit) made it. */
  get prefetchNow(): number {
    return this.#channel.prefetch;
  }
  /** ms since this consumer last got a delivery or (re)started consuming, whichever is later. */
  get msIdle(): number {
    return Date.now() - Math.max(this.#dispatcher.lastDeliveryAt, this.#consumingSince);
  }

  stats(): ConsumerStats {
    return {
      state: this.#state,
      intakeOff: this.#intakeOff() ?? null,
      pausedBy: [...this.#pausedBy],
      received: this.#dispatcher.received,
      inFlight: this.#inFlight.size,
      ...this.#settler.counts,
      isolations: this.#isolator.isolations,
      lateResults: this.#dispatcher.deadline.late,
      leftUnsettledAtStop: this.#leftUnsettled,
      maxConcurrent: this.#dispatcher.limit.maxSeen,
      channelOpens: this.#channel.opens,
      replies: this.#replier.replies,
      errorReplies: this.#replier.errorReplies,
      cancelledBeforeStart: this.#dispatcher.cancelledBeforeStart,
    };
  }

  /** The pipeline and its live state, for the startup log and health checks. */
  describe(): Record<string, unknown> {
    const o = this.options;
    return {
      consumer: o.name,
      queue: o.queue,
      prefetch: o.prefetch,
      intakeOff: this.#intakeOff() ?? null,
      retry: o.retry.attempts > 1 ? { attempts: o.retry.attempts, delaysMs: o.retry.delaysMs } : null,
      deadLetter: o.deadLetter ? deadLetterQueueName(o.queue) : null,
      policies: this.#dispatcher.policies.map((m) => ({ name: m.name, ...m.describe() })),
    };
  }

  /** A request's caller gave up: stop work on it (see Dispatcher.cancel). */
  cancelRequest(correlationId: string, deadline: number): void {
    this.#dispatcher.cancel(correlationId, deadline);
  }

  /** Ready messages in this consumer's queue (a passive declare); undefined if it cannot tell within 5 s. */
  async readyMessages(): Promise<number | undefined> {
    return (await this.queueStats())?.ready;
  }

  /** Ready messages and consumers of this consumer's queue (a passive declare); undefined if it cannot tell within 5 s. */
  queueStats(): Promise<{ ready: number; consumers: number } | undefined> {
    return this.#channel.queueStats();
  }

  /** Declares topology, opens the channel and starts consuming; re-does all of it after each reconnect. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new ClosedError(`consumer ${this.name} was already started`);
    this.#setState('starting');
    const connection = this.#deps.connection;
    this.#subscriptions.push(
      connection.events.on('connected', () => this.#reopener.schedule('reconnected', 0)),
      connection.events.on('disconnected', () => this.#reopener.interruptedBy('connection lost')),
    );
    try {
      await this.#channel.open(this.#settler.declaredDelays, () => this.#stopping === undefined);
      await this.#intakeChanged();
    } catch (error) {
      // A failed start must not go on retrying in the background.
      await this.stop(0);
      throw error;
    }
  }

  /**
   * Stops taking messages for `reason` (the broker consumer is cancelled) and keeps the runtime;
   * in-flight work goes on. Intake resumes once every reason given is resumed.
   */
  async pause(reason = 'paused'): Promise<void> {
    if (this.#stopping !== undefined || this.#pausedBy.has(reason)) return;
    this.#pausedBy.add(reason);
    await this.#intakeChanged();
  }

  /** Lifts the pause given for `reason`. */
  async resume(reason = 'paused'): Promise<void> {
    if (this.#stopping !== undefined || !this.#pausedBy.delete(reason)) return;
    await this.#intakeChanged();
  }

  /**
   * Ordered, idempotent stop: cancel the broker consumer (no new deliveries), let in-flight
   * handlers finish within `graceMs`, then abort the rest through `ctx.signal` and give their
   * messages back to the queue, settle, close the channel.
   */
  stop(graceMs = this.options.shutdownGraceMs): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    const unsettleableBefore = this.#settler.counts.unsettleable;
    this.#stopSignal.abort();
    this.#setState('stopping');
    this.#reopener.cancel();
    // A single active consumer is not cancelled (the next worker would be made active at once and take
    // newer messages first): the channel's close returns what it holds, in order, then hands over.
    if (!this.options.singleActiveConsumer) await this.#intakeChanged();
    // Intake is off: a delivery still waiting in a policy (for a slot, a token, a probe) is not
    // in-flight work. It goes back to the queue now, uncounted, instead of starting during the grace.
    for (const d of this.#inFlight) if (!d.started) d.abort(SHUTDOWN_ABORT, 'shutdown');
    if (!(await this.#inFlight.waitForDrain(graceMs))) {
      this.#log.warn({ inFlight: this.#inFlight.size, graceMs }, 'grace period over: aborting in-flight handlers');
      for (const d of this.#inFlight) d.abort(SHUTDOWN_ABORT, 'shutdown');
      // Handlers that honour the signal settle (requeue) promptly; the rest are left to the
      // broker, which requeues whatever is unacked when the channel closes.
      if (!(await this.#inFlight.waitForDrain(Math.min(2000, Math.max(200, graceMs))))) {
        this.#log.warn(
          { inFlight: this.#inFlight.size },
          'handlers ignored the abort: their messages return to the queue on channel close',
        );
      }
    }
    // What this shutdown could not settle: settles refused (their channel died) and handlers
    // that never ended. The broker requeues both; the run before the shutdown does not count.
    this.#leftUnsettled = this.#settler.counts.unsettleable - unsettleableBefore + this.#inFlight.size;
    await this.#channel.close();
    for (const subscription of this.#subscriptions.splice(0)) subscription.dispose();
    this.#setState('stopped');
  }

  // ---- intake ----

  /** The one guard: why intake is off, if it is. */
  #intakeOff(): IntakeOff | undefined {
    if (this.#stopping !== undefined) return 'stopping';
    if (this.#pausedBy.size > 0) return 'paused';
    if (this.#isolator.active) return 'isolating';
    if (!this.#channel.isOpen) return 'recovering';
    return undefined;
  }

  /** Brings the subscription in line with the guard; changes are applied one after another. */
  #intakeChanged(): Promise<void> {
    this.#intake = this.#intake.then(() => this.#applyIntake());
    return this.#intake;
  }

  async #applyIntake(): Promise<void> {
    if (this.#intakeOff() !== undefined) {
      if (this.#channel.isConsuming) await this.#channel.cancel();
    } else if (!this.#channel.isConsuming) {
      try {
        await this.#channel.consume(this.#dispatcher.onMessage);
        this.#reopener.consumed();
      } catch (error) {
        // The channel died meanwhile: its close reopens it, and intake follows.
        this.#reopener.interruptedBy(`cannot consume: ${describeFailure(error).message}`);
      }
    }
    if (this.#stopping !== undefined || this.#state === 'idle') return;
    const off = this.#intakeOff();
    this.#setState(off === undefined ? (this.#channel.isConsuming ? 'consuming' : 'recovering') : off);
  }

  // ---- recovery ----

  #channelClosed(generation: number, current: boolean): void {
    if (this.#stopping !== undefined) return;
    // The broker requeues what was unacked on it; this process survived, so when those messages
    // come back it knows they did not kill it, and which never even started.
    for (const d of this.#inFlight) {
      if (d.channelGeneration !== generation) continue;
      this.#interrupted.remember(identityOf(d.message), d.started ? 'started' : 'not-started');
      // Its tag died with the channel: one still waiting for a slot must not run now as well,
      // and a running handler may stop early.
      d.abort(CHANNEL_LOST, 'channel-lost');
    }
    if (!current) return;
    // Its last acks may be lost with it: those messages come back as handled here, not as suspects.
    for (const id of this.#channel.recentAcks.take()) this.#interrupted.remember(identityOfId(id), 'started');
    this.#reopener.interruptedBy('channel closed');
    // A channel closed by the broker (406, 404, consumer_timeout) while the connection lives:
    // reopen it here. A lost connection reopens on 'connected' instead.
    if (this.#deps.connection.state === 'connected') this.#reopener.schedule('channel closed');
  }

  #host(): ConsumerHost {
    const o = this.options;
    return {
      consumer: o.name,
      queue: o.queue,
      prefetch: o.prefetch,
      log: this.#log,
      events: this.#deps.events,
      stopSignal: this.#stopSignal.signal,
      inFlight: () => this.#inFlight.size,
      pause: (reason) => this.pause(reason),
      resume: (reason) => this.resume(reason),
      prefetchNow: () => this.#channel.prefetch,
      setPrefetch: (n, owner = 'default') => {
        if (n === undefined) this.#prefetchCaps.delete(owner);
        else if (Number.isInteger(n) && n >= 1 && n <= o.prefetch) this.#prefetchCaps.set(owner, n);
        else return Promise.reject(new RangeError(`prefetch must be a whole number from 1 to ${o.prefetch}, got ${n}`));
        return this.#channel.setPrefetch(Math.min(o.prefetch, ...this.#prefetchCaps.values()));
      },
      queueStats: () => this.queueStats(),
      emit: (policy, event, detail = {}) => this.#deps.events.emit('policy', o.name, policy, event, detail),
    };
  }

  #setState(state: ConsumerState): void {
    if (this.#state === state) return;
    if (state === 'consuming') this.#consumingSince = Date.now();
    this.#state = state;
    this.#deps.events.emit('consumerState', this.name, state);
  }
}
