import type { Logger } from '../logging/logger.js';
import { CONTROL_HEADERS, messageDeadline } from '../message/headers.js';
import type { DeliveryFields, MessageContext, MessageProperties, ReceivedMessage } from '../message/MessageContext.js';
import type { DeliveryTrace } from '../message/tracing.js';
import type { ConsumeContext } from '../middleware/Middleware.js';
import { type AbortWatchable, UNWATCHED, WATCH_ABORT } from '../middleware/watchAbort.js';
import type { Outcome } from './outcome.js';

const EMPTY_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Why a delivery's signal aborted: a policy (a deadline among them), shutdown's grace period running out, or its channel died. */
export type AbortCause = 'policy' | 'shutdown' | 'channel-lost' | 'cancelled';

/**
 * One delivery on its way through a consumer: the handler's MessageContext and the policies'
 * ConsumeContext, plus what the runtime needs to settle it exactly once on the channel it came
 * from. One object per delivery; its AbortSignal is made only if someone reads it (Warren's own
 * policies watch the abort without it: watchAbort).
 */
export class Delivery<T = unknown> implements MessageContext<T>, ConsumeContext<T>, AbortWatchable {
  payload!: T;
  readonly receivedAt = Date.now();
  readonly messageDeadline: number | undefined;
  #controller: AbortController | undefined;
  #abortCause: AbortCause | undefined;
  #abortReason: unknown;
  /** watchAbort's callbacks, called on abort (rarely more than one). */
  #watchers: Array<() => void> | undefined;
  #log: Logger | undefined;
  #headers: Readonly<Record<string, unknown>> | undefined;
  #imposedDeadline: number | undefined;
  /** Set when the settle decision has been taken; a second settle is refused. */
  settled = false;
  /** Set when the handler was called: only then does a failure count as an attempt. */
  started = false;
  /** Classified as a suspect on arrival (a worker may have died with it): a copy put back stays one. */
  suspect = false;
  /** What was really done when it differs from the decision (a copy could not be written). */
  carriedOut: Outcome | undefined;
  /** What the handler returned: the reply, when the message is a request. */
  result: unknown;
  /** Its `receive` span, while tracing is on. */
  trace: DeliveryTrace | undefined;

  constructor(
    readonly message: ReceivedMessage,
    /** The channel generation this delivery arrived on; its tag is void on any other. */
    readonly channelGeneration: number,
    readonly consumer: string,
    readonly queue: string,
    readonly attempt: number,
    readonly baseLog: Logger,
  ) {
    this.messageDeadline = messageDeadline(message.properties);
  }

  get body(): Buffer {
    return this.message.content;
  }
  /** The headers as the broker delivered them, Warren's control headers included. */
  get amqpHeaders(): Readonly<Record<string, unknown>> {
    return this.message.properties.headers ?? EMPTY_HEADERS;
  }
  /** The headers without Warren's control headers, so a handler that forwards them forwards no counts. */
  get headers(): Readonly<Record<string, unknown>> {
    this.#headers ??= withoutControlHeaders(this.amqpHeaders);
    return this.#headers;
  }
  get properties(): MessageProperties {
    return this.message.properties;
  }
  get fields(): DeliveryFields {
    return this.message.fields;
  }
  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }
  get messageId(): string | undefined {
    return this.message.properties.messageId;
  }
  /** The earliest of the message's own deadline and one the runtime imposes (a suspect run alone). */
  get deadline(): number | undefined {
    const own = this.messageDeadline;
    const imposed = this.#imposedDeadline;
    return own === undefined || (imposed !== undefined && imposed < own) ? imposed : own;
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortCause !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }
  get abortCause(): AbortCause | undefined {
    return this.#abortCause;
  }
  get aborted(): boolean {
    return this.#abortCause !== undefined;
  }
  get abortReason(): unknown {
    return this.#abortReason;
  }
  get log(): Logger {
    // Built on first use: most handlers never log, and a child logger per message is not free.
    this.#log ??= this.baseLog.child({ messageId: this.messageId, attempt: this.attempt });
    return this.#log;
  }

  /** Imposes a deadline on top of the message's own (the earlier wins). */
  imposeDeadline(at: number): void {
    this.#imposedDeadline = at;
  }

  abort(reason: Error & { code?: string }, cause: AbortCause = 'policy'): void {
    if (this.#abortCause !== undefined) return;
    this.#abortCause = cause;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
    const watchers = this.#watchers;
    if (watchers === undefined) return;
    this.#watchers = undefined;
    for (const fn of watchers) fn();
  }

  [WATCH_ABORT](fn: () => void): () => void {
    if (this.#abortCause !== undefined) return UNWATCHED;
    this.#watchers ??= [];
    this.#watchers.push(fn);
    return () => {
      const watchers = this.#watchers;
      const i = watchers === undefined ? -1 : watchers.indexOf(fn);
      if (i >= 0) watchers?.splice(i, 1);
    };
  }
}

function withoutControlHeaders(headers: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  let copy: Record<string, unknown> | undefined;
  for (const name of CONTROL_HEADERS) {
    if (!Object.hasOwn(headers, name)) continue;
    copy ??= { ...headers };
    delete copy[name];
  }
  return copy === undefined ? headers : Object.freeze(copy);
}
