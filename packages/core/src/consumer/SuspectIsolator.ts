import type { Logger } from '../logging/logger.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import type { ConsumerChannel } from './ConsumerChannel.js';
import type { Delivery } from './Delivery.js';
import type { InFlight } from './InFlight.js';
import { describeFailure } from './outcome.js';
import type { Settler } from './Settler.js';

/** What isolation needs of its consumer. */
export interface IsolationHost {
  readonly options: ResolvedConsumerOptions;
  readonly channel: ConsumerChannel;
  readonly inFlight: InFlight;
  readonly settler: Settler;
  readonly log: Logger;
  /** Recomputes intake (off while isolating) and the state; resolves once the change is applied. */
  intakeChanged(): Promise<void>;
  process(delivery: Delivery): Promise<void>;
}

/**
 * Runs messages that were in flight when a worker died (suspects: one of them may be what
 * killed it) one at a time, alone. Intake stops, running handlers finish, deliveries that have
 * not started are handed back to the queue uncounted, and only then does a suspect run; so if it
 * kills the process again, it is the only unacked message and the only one whose redelivery
 * count grows. Innocent bystanders are not dead-lettered with the poison.
 */
export class SuspectIsolator {
  #active = false;
  #isolations = 0;
  readonly #suspects: Delivery[] = [];
  readonly #held: Delivery[] = [];
  readonly #host: IsolationHost;

  constructor(host: IsolationHost) {
    this.#host = host;
  }

  /** Intake is off while this is true. */
  get active(): boolean {
    return this.#active;
  }
  /** Times suspects were run alone. */
  get isolations(): number {
    return this.#isolations;
  }

  /** Takes a delivery that arrived while isolating, or a suspect (which starts an isolation). */
  take(delivery: Delivery, suspect: boolean): void {
    (suspect ? this.#suspects : this.#held).push(delivery);
    if (!this.#active)
      void this.#isolate().catch((error: unknown) => this.#host.log.error({ err: describeFailure(error).message }, 'bug: isolation threw'));
  }

  async #isolate(): Promise<void> {
    this.#active = true;
    this.#isolations++;
    try {
      await this.#host.intakeChanged();
      await this.#runSuspectsAlone();
    } finally {
      // Whatever happened, intake must not stay off.
      this.#active = false;
    }
    await this.#host.intakeChanged();
  }

  async #runSuspectsAlone(): Promise<void> {
    const { options, settler, inFlight, channel } = this.#host;
    // Deliveries that have not started go back at once: held unacked while running handlers
    // finish, they would only risk the broker's consumer_timeout.
    for (const held of this.#held.splice(0)) await settler.handBack(held);
    // Then wait for what runs on this channel (handlers of a dead channel cannot ack anything).
    // Bounded: a handler that hangs (no deadline, deaf to its signal) must not stop intake for good.
    const until = Date.now() + (options.timeoutMs ?? options.shutdownGraceMs);
    while (this.#runningOnLiveChannel() && Date.now() < until) {
      await inFlight.waitForChange(until - Date.now());
      for (const held of this.#held.splice(0)) await settler.handBack(held);
    }
    // One suspect per round; every other delivery taken meanwhile (suspect or not) goes back to
    // the queue first, so the one running is the only unacked message on the channel.
    while (this.#suspects.length > 0 || this.#held.length > 0) {
      const suspect = this.#suspects.shift();
      for (const other of [...this.#held.splice(0), ...this.#suspects.splice(0)]) await settler.handBack(other);
      if (suspect === undefined) continue;
      if (settler.isStale(suspect)) {
        settler.forget(suspect);
        continue;
      }
      // The hand-backs' acks must be on the broker before a suspect that may kill the process runs.
      await channel.roundTrip();
      // Intake is off while it runs, so it must end: without a timeoutMs of its own, a suspect
      // gets the consumer's shutdown grace period (10 s by default, 1 s at least); past it, its
      // signal aborts and it is a failed attempt (retried or dead-lettered), and intake resumes.
      if (options.timeoutMs === undefined) suspect.imposeDeadline(Date.now() + Math.max(1000, options.shutdownGraceMs));
      await this.#host.process(suspect);
    }
  }

  /** Whether a delivery of the live channel is being handled (not waiting to be isolated). */
  #runningOnLiveChannel(): boolean {
    for (const d of this.#host.inFlight) {
      if (!d.settled && !this.#host.settler.isStale(d) && !this.#suspects.includes(d) && !this.#held.includes(d)) return true;
    }
    return false;
  }
}
