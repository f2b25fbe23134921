import type * as OtelApi from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent, readTracestate, TRACEPARENT, TRACESTATE } from '../../message/traceparent.js';
import type { DeliveryTrace, MessageTarget, MessageTracer, TracedDelivery } from '../../message/tracing.js';

export type Api = typeof OtelApi;
type Attributes = OtelApi.Attributes;

const REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * The destination a span names: the exchange, or the queue for the default exchange; a reply's
 * one-off direct reply-to name is cut to its family, so span names stay few.
 */
function destination(target: MessageTarget): string {
  if (target.exchange !== '') return target.exchange;
  return target.routingKey.startsWith(REPLY_TO) ? REPLY_TO : target.routingKey;
}

/**
 * Attributes after OpenTelemetry's messaging conventions for RabbitMQ
 * (https://opentelemetry.io/docs/specs/semconv/messaging/rabbitmq/): low cardinality in the span
 * name (operation and destination), ids only in attributes.
 */
function targetAttributes(target: MessageTarget, operation: string): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': operation,
    'messaging.destination.name': destination(target),
    'messaging.rabbitmq.destination.routing_key': target.routingKey,
  };
}

/**
 * Warren's spans on OpenTelemetry's API: `publish` (producer, until the broker's confirm),
 * `receive` (consumer, child of the message's traceparent, from delivery to settle) with `handle`
 * (the handler, run as the active context so its publishes are its children) and `settle`,
 * `request` (client, the round trip) and `receive reply`. The traceparent is written and read here,
 * in W3C's format, whatever propagator the app registered: the message headers are Warren's.
 */
export class OtelMessageTracer implements MessageTracer {
  readonly #api: Api;
  readonly #tracer: OtelApi.Tracer;

  constructor(api: Api, version: string) {
    this.#api = api;
    this.#tracer = api.trace.getTracer('@warren/core', version);
  }

  publish<T>(
    target: MessageTarget,
    headers: Record<string, unknown> | undefined,
    send: (headers: Record<string, unknown>) => Promise<T>,
  ): Promise<T> {
    const api = this.#api;
    let parent = api.context.active();
    // Nothing active (a retry or dead-letter copy, a replay): the copy goes on its original's trace.
    if (api.trace.getSpan(parent) === undefined && headers !== undefined) parent = this.#remote(headers) ?? parent;
    const span = this.#tracer.startSpan(
      `publish ${destination(target)}`,
      { kind: api.SpanKind.PRODUCER, attributes: targetAttributes(target, 'send') },
      parent,
    );
    return this.#ending(span, () => send(this.#inject(span, headers)));
  }

  receive(delivery: TracedDelivery, run: (trace: DeliveryTrace) => Promise<void>): Promise<void> {
    const api = this.#api;
    const parent = this.#remote(delivery.headers) ?? api.ROOT_CONTEXT;
    const attributes: Attributes = {
      ...targetAttributes(delivery, 'receive'),
      'messaging.consumer.group.name': delivery.consumer,
      'warren.queue': delivery.queue,
      'warren.attempt': delivery.attempt,
      'warren.redelivered': delivery.redelivered,
    };
    if (delivery.messageId !== undefined) attributes['messaging.message.id'] = delivery.messageId;
    if (delivery.correlationId !== undefined) attributes['messaging.message.conversation_id'] = delivery.correlationId;
    const span = this.#tracer.startSpan(`receive ${delivery.queue}`, { kind: api.SpanKind.CONSUMER, attributes }, parent);
    const context = api.trace.setSpan(parent, span);
    const trace = new OtelDeliveryTrace(api, this.#tracer, context, span, delivery.queue);
    return this.#ending(span, () => api.context.with(context, run, undefined, trace));
  }

  request<T>(target: MessageTarget, run: () => Promise<T>): Promise<T> {
    const api = this.#api;
    const parent = api.context.active();
    const span = this.#tracer.startSpan(
      `request ${destination(target)}`,
      { kind: api.SpanKind.CLIENT, attributes: targetAttributes(target, 'send') },
      parent,
    );
    return this.#ending(span, () => api.context.with(api.trace.setSpan(parent, span), run));
  }

  replyReceived(target: MessageTarget, headers: Readonly<Record<string, unknown>> | undefined): void {
    const parent = headers === undefined ? undefined : this.#remote(headers);
    if (parent === undefined) return;
    const attributes = targetAttributes(target, 'receive');
    this.#tracer.startSpan(`receive reply ${destination(target)}`, { kind: this.#api.SpanKind.CONSUMER, attributes }, parent).end();
  }

  /** The context a message's traceparent (and tracestate) names, or undefined without a valid one. */
  #remote(headers: Readonly<Record<string, unknown>>): OtelApi.Context | undefined {
    const parent = parseTraceparent(headers[TRACEPARENT]);
    if (parent === undefined) return undefined;
    const state = readTracestate(headers[TRACESTATE]);
    return this.#api.trace.setSpanContext(this.#api.ROOT_CONTEXT, {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: parent.flags,
      isRemote: true,
      traceState: state === undefined ? undefined : this.#api.createTraceState(state),
    });
  }

  /** The headers with the span's traceparent (and tracestate), on a copy: the caller's object is left as it was. */
  #inject(span: OtelApi.Span, headers: Record<string, unknown> | undefined): Record<string, unknown> {
    const sc = span.spanContext();
    const out: Record<string, unknown> = { ...headers };
    if (!this.#api.trace.isSpanContextValid(sc)) return out;
    out[TRACEPARENT] = formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags });
    const state = sc.traceState?.serialize();
    if (state !== undefined && state !== '') out[TRACESTATE] = state;
    else delete out[TRACESTATE];
    return out;
  }

  #ending<T>(span: OtelApi.Span, work: () => Promise<T>): Promise<T> {
    return endWhenSettled(this.#api, span, work);
  }
}

/** One delivery's `handle` and `settle` spans, children of its `receive` span. */
class OtelDeliveryTrace implements DeliveryTrace {
  constructor(
    readonly api: Api,
    readonly tracer: OtelApi.Tracer,
    readonly context: OtelApi.Context,
    readonly receiveSpan: OtelApi.Span,
    readonly queue: string,
  ) {}

  handle<T>(run: () => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(`handle ${this.queue}`, { attributes: { 'messaging.operation.type': 'process' } }, this.context);
    return endWhenSettled(this.api, span, () => this.api.context.with(this.api.trace.setSpan(this.context, span), run));
  }

  settle<T>(outcome: string, run: () => Promise<T>): Promise<T> {
    this.receiveSpan.setAttribute('warren.outcome', outcome);
    const attributes = { 'messaging.operation.type': 'settle', 'warren.outcome': outcome };
    const span = this.tracer.startSpan(`settle ${this.queue}`, { attributes }, this.context);
    return endWhenSettled(this.api, span, () => this.api.context.with(this.api.trace.setSpan(this.context, span), run));
  }
}

/** Runs `work` and ends `span` when it settles, marking it failed (with the exception) if it rejects or throws. */
function endWhenSettled<T>(api: Api, span: OtelApi.Span, work: () => Promise<T>): Promise<T> {
  const failed = (error: unknown): Promise<never> => {
    fail(api, span, error);
    span.end();
    return Promise.reject(error);
  };
  let running: Promise<T>;
  try {
    running = work();
  } catch (error) {
    return failed(error);
  }
  return running.then((value) => {
    span.end();
    return value;
  }, failed);
}

function fail(api: Api, span: OtelApi.Span, error: unknown): void {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
    span.recordException(error instanceof Error ? error : message);
  } catch {
    message = 'failed';
  }
  span.setStatus({ code: api.SpanStatusCode.ERROR, message });
}
