import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import { CONTROL_HEADERS } from '../message/headers.js';
import type { DeliveryFields, MessageContext, MessageProperties } from '../message/MessageContext.js';
import type { Outcome } from './outcome.js';

const EMPTY_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Why a delivery's signal aborted: its deadline, shutdown's grace period running out, or its channel died. */
export type AbortCause = 'deadline' | 'shutdown' | 'channel-lost';

/**
 * One delivery on its way through a consumer: the handler's MessageContext, plus what the
 * runtime needs to settle it exactly once on the channel it came from.
 */
export class Delivery<T = unknown> implements MessageContext<T> {
  payload!: T;
  readonly receivedAt = Date.now();
  readonly #controller = new AbortController();
  #abortCause: AbortCause | undefined;
  #abortReason: unknown;
  #log: Logger | undefined;
  #headers: Readonly<Record<string, unknown>> | undefined;
  /** Set when the settle decision has been taken; a second settle is refused. */
  settled = false;
  /** Set when the handler was called: only then does a failure count as an attempt. */
  started = false;
  /** A deadline (ms since the epoch) the runtime imposes on top of the others, e.g. for a suspect run alone. */
  deadlineOverride: number | undefined;
  /** What was really done when it differs from the decision (a copy could not be written). */
  carriedOut: Outcome | undefined;

  constructor(
    readonly message: ConsumeMessage,
    /** The channel generation this delivery arrived on; its tag is void on any other. */
    readonly channelGeneration: number,
    readonly consumer: string,
    readonly queue: string,
    readonly attempt: number,
    readonly baseLog: Logger,
  ) {}

  get body(): Buffer {
    return this.message.content;
  }
  /** The headers as the broker delivered them, Warren's control headers included. */
  get amqpHeaders(): Readonly<Record<string, unknown>> {
    return (this.message.properties.headers as Record<string, unknown> | undefined) ?? EMPTY_HEADERS;
  }
  /** The headers without Warren's control headers, so a handler that forwards them forwards no counts. */
  get headers(): Readonly<Record<string, unknown>> {
    this.#headers ??= withoutControlHeaders(this.amqpHeaders);
    return this.#headers;
  }
  get properties(): MessageProperties {
    return this.message.properties as MessageProperties;
  }
  get fields(): DeliveryFields {
    return this.message.fields;
  }
  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }
  get messageId(): string | undefined {
    return this.message.properties.messageId as string | undefined;
  }
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  get abortCause(): AbortCause | undefined {
    return this.#abortCause;
  }
  /** Whether the delivery was aborted, without creating its AbortSignal (Node makes one on first read). */
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

  abort(reason: Error & { code?: string }, cause: AbortCause = 'deadline'): void {
    if (this.#abortCause !== undefined) return;
    this.#abortCause = cause;
    this.#abortReason = reason;
    this.#controller.abort(reason);
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
