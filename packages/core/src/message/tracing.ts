/**
 * The seam between Warren's mechanisms and a tracer. The publisher and the consumer ask
 * `messageTracer()` at the few points a span starts; while none is installed (no OpenTelemetry
 * SDK registered) that is one variable read and nothing else: no span, no header, no context.
 * The OpenTelemetry implementation lives in observability/ (it alone imports the API), installed
 * by the app at start when an SDK is registered (`enableTracing`).
 */

/** Where a message goes, or came from. */
export interface MessageTarget {
  readonly exchange: string;
  readonly routingKey: string;
}

/** What a consumer knows of a delivery when its span starts. */
export interface TracedDelivery extends MessageTarget {
  readonly consumer: string;
  readonly queue: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly attempt: number;
  readonly redelivered: boolean;
}

/** One delivery's span (`receive`), and the two it parents: the handler's and the settle's. */
export interface DeliveryTrace {
  /** Runs the handler in a `handle` span, as the active context (so what it publishes is its child). */
  handle<T>(run: () => Promise<T>): Promise<T>;
  /** Runs the settle (ack, retry, dead-letter, put back) in a `settle` span. */
  settle<T>(outcome: string, run: () => Promise<T>): Promise<T>;
}

export interface MessageTracer {
  /**
   * A `publish` span from now until `send` settles (the broker's confirm): `send` gets the headers
   * to write, with the span's `traceparent` (and `tracestate`). Its parent is the active context,
   * else the traceparent the headers already carry (a retry or dead-letter copy), else none.
   */
  publish<T>(
    target: MessageTarget,
    headers: Record<string, unknown> | undefined,
    send: (headers: Record<string, unknown>) => Promise<T>,
  ): Promise<T>;
  /** A `receive` span, child of the delivery's traceparent, from delivery to settle. */
  receive(delivery: TracedDelivery, run: (trace: DeliveryTrace) => Promise<void>): Promise<void>;
  /** A `request` span around a request's round trip; its publish is a child. */
  request<T>(target: MessageTarget, run: () => Promise<T>): Promise<T>;
  /** A reply arrived: a short span, child of the traceparent the responder gave it. */
  replyReceived(target: MessageTarget, headers: Readonly<Record<string, unknown>> | undefined): void;
}

let installed: MessageTracer | undefined;

/** The tracer in use, or undefined: tracing off. */
export function messageTracer(): MessageTracer | undefined {
  return installed;
}

/** Installs (or, with undefined, removes) the process's tracer. OpenTelemetry's provider is process-wide too. */
export function installMessageTracer(tracer: MessageTracer | undefined): void {
  installed = tracer;
}
