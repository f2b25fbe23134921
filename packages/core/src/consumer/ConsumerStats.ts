import type { ConsumerState } from '../events/events.js';
import type { SettleCounts } from './Settler.js';

/** Why intake is off; undefined while the consumer takes messages. */
export type IntakeOff = 'stopping' | 'paused' | 'isolating' | 'recovering';

export interface ConsumerStats extends SettleCounts {
  state: ConsumerState;
  /** Why intake is off right now (null: taking messages), and who paused it. */
  intakeOff: IntakeOff | null;
  pausedBy: string[];
  received: number;
  inFlight: number;
  /** Times suspects (messages in flight when a worker died) were run alone. */
  isolations: number;
  /** Handlers that finished after their deadline; their results were discarded. */
  lateResults: number;
  /** Deliveries the last stop() could not settle (they went back to the queue with the channel). */
  leftUnsettledAtStop: number;
  /** Most handlers seen running at once. */
  maxConcurrent: number;
  channelOpens: number;
  /** Requests answered, with a value or with an error, and requests dropped because their caller had cancelled them. */
  replies: number;
  errorReplies: number;
  cancelledBeforeStart: number;
}
