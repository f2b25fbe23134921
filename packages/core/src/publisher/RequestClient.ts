import { UnroutableError } from '../errors/publishErrors.js';
import { NoResponderError, RemoteError, ReplyLostError, RequestCancelledError, RequestTimeoutError } from '../errors/requestErrors.js';
import type { Logger } from '../logging/logger.js';
import { DeadlineTimer, type Watched } from '../message/DeadlineTimer.js';
import { DIRECT_REPLY_TO, HEADER, requestCorrelationId } from '../message/headers.js';
import { type MessageTarget, messageTracer } from '../message/tracing.js';
import type { PublishOptions } from './PublisherOptions.js';

/** What `request()` takes: a publish's options, less what request/reply sets itself. */
export interface RequestOptions extends Omit<PublishOptions, 'correlationId' | 'replyTo' | 'mandatory' | 'expiration' | 'timeoutMs'> {
  /** How long to wait for the reply: the request's deadline, which the responder sees too. Default: the publisher's timeoutMs. */
  timeoutMs?: number;
  /** Aborting it cancels the request: the caller gets RequestCancelledError and the responder is told to stop. */
  signal?: AbortSignal;
}

/** A reply as it came off the reply consumer. */
export interface IncomingReply {
  readonly correlationId: string | undefined;
  readonly content: Buffer;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, unknown>> | undefined;
}

export interface RequestCounts {
  requests: number;
  replies: number;
  remoteErrors: number;
  timedOut: number;
  cancelled: number;
  noResponder: number;
  /** Replies that came after their request had ended (timed out, cancelled): dropped. */
  lateReplies: number;
  /** Requests whose reply could not arrive any more: the channel they went out on was lost. */
  repliesLost: number;
}

interface PendingRequest extends Watched {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
  readonly deadline: number;
  readonly startedAt: number;
  readonly target: string;
  readonly destination: MessageTarget;
  /** The broker confirmed the request: it went out on the current channel, whose reply consumer will get the answer. */
  confirmed: boolean;
}

export interface RequestClientDeps {
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions): Promise<void>;
  defaultTimeoutMs: number;
  log: Logger;
  /** A request was answered (reply or RemoteError), `ms` after it was made. */
  answered?: (ms: number, ok: boolean) => void;
  /** Tells every responder to stop work on a request (best effort; the deadline stops it anyway). */
  notifyResponders(correlationId: string, deadline: number): void;
}

/**
 * Request/reply over RabbitMQ's direct reply-to, with gRPC's deadline and cancellation
 * semantics. A request carries its absolute deadline (in its correlation id, requestCorrelationId) and the broker's
 * `expiration` (what remains), so one not taken in time expires in the broker instead of being
 * served late; it is `mandatory`, so with no queue to take it the caller hears NoResponderError
 * at once. Replies of every request come on one consumer of the publisher's channel, matched by
 * correlationId. Each request ends exactly once — reply, RemoteError, timeout, cancellation, or a
 * publish error — and is then forgotten: a late reply is dropped and counted. On a timeout or a
 * cancellation the responders are told (`warren.cancel`) so the handler's signal aborts.
 */
export class RequestClient {
  readonly counts: RequestCounts = {
    requests: 0,
    replies: 0,
    remoteErrors: 0,
    timedOut: 0,
    cancelled: 0,
    noResponder: 0,
    lateReplies: 0,
    repliesLost: 0,
  };
  readonly #pending = new Map<string, PendingRequest>();
  /** One timer for every request's timeout, armed for the earliest (a setTimeout per request cost a Timeout and a clearTimeout each). */
  readonly #timeouts = new DeadlineTimer();
  readonly #d: RequestClientDeps;
  /**
   * Set by channelLost until the end of this event-loop iteration. A confirm heard meanwhile came
   * from the lost channel (its ack and its close arrived in one read, the ack's promise settling
   * after the close was handled): no new channel can confirm anything before more I/O.
   */
  #channelJustLost = false;

  constructor(deps: RequestClientDeps) {
    this.#d = deps;
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.#pending.size;
  }

  request<T>(exchange: string, routingKey: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const tracer = messageTracer();
    if (tracer === undefined) return this.#request<T>(exchange, routingKey, body, options);
    return tracer.request({ exchange, routingKey }, () => this.#request<T>(exchange, routingKey, body, options));
  }

  #request<T>(exchange: string, routingKey: string, body: unknown, options: RequestOptions): Promise<T> {
    const { signal, timeoutMs = this.#d.defaultTimeoutMs, ...publishOptions } = options;
    if (signal?.aborted === true) return Promise.reject(new RequestCancelledError('the request was cancelled before it was sent'));
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
      return Promise.reject(new RangeError(`request timeoutMs must be a whole number of ms above 0, got ${String(timeoutMs)}`));
    }
    const deadline = Date.now() + timeoutMs;
    const correlationId = requestCorrelationId(deadline);
    const target = exchange === '' ? `queue '${routingKey}'` : `exchange '${exchange}' with routing key '${routingKey}'`;
    this.counts.requests++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = signal === undefined ? undefined : () => this.#cancel(correlationId);
      const startedAt = performance.now();
      const pending: PendingRequest = {
        at: startedAt + timeoutMs,
        expire: () => this.#timeOut(correlationId),
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        onAbort,
        deadline,
        startedAt,
        target,
        destination: { exchange, routingKey },
        confirmed: false,
      };
      this.#pending.set(correlationId, pending);
      this.#timeouts.add(pending);
      if (onAbort !== undefined) signal?.addEventListener('abort', onAbort, { once: true });
      this.#d
        .publish(exchange, routingKey, body, {
          // A request lives no longer than its caller waits: writing it to disk buys nothing.
          persistent: false,
          ...publishOptions,
          correlationId,
          replyTo: DIRECT_REPLY_TO,
          mandatory: true,
          expiration: timeoutMs,
          timeoutMs,
        })
        .then(
          () => {
            const p = this.#pending.get(correlationId);
            if (p === undefined) return;
            if (this.#channelJustLost) this.#replyLost(correlationId, p);
            else p.confirmed = true;
          },
          (error: Error) => {
            if (error instanceof UnroutableError) {
              this.counts.noResponder++;
              error = new NoResponderError(`no queue takes requests to ${target}: nobody would answer`, { cause: error });
            }
            this.#end(correlationId)?.reject(error);
          },
        );
    });
  }

  /** A reply came on the reply consumer. */
  onReply(reply: IncomingReply): void {
    const pending = reply.correlationId === undefined ? undefined : this.#end(reply.correlationId);
    if (pending === undefined) {
      this.counts.lateReplies++;
      return;
    }
    messageTracer()?.replyReceived(pending.destination, reply.headers);
    const ok = reply.headers?.[HEADER.replyStatus] !== 'error';
    this.#d.answered?.(performance.now() - pending.startedAt, ok);
    if (!ok) {
      this.counts.remoteErrors++;
      const e = parseJson(reply.content) as { name?: unknown; code?: unknown; message?: unknown } | undefined;
      const name = typeof e?.name === 'string' ? e.name : 'Error';
      const message = typeof e?.message === 'string' ? e.message : 'the responder failed';
      pending.reject(
        new RemoteError(`${pending.target} answered with ${name}: ${message}`, name, typeof e?.code === 'string' ? e.code : undefined),
      );
      return;
    }
    this.counts.replies++;
    pending.resolve(decodeReply(reply));
  }

  /**
   * The channel went away: replies to requests it carried can no longer arrive. Those the broker
   * had confirmed fail with ReplyLostError; the others are still the publisher's (they fail with
   * its error, or go out again on the next channel, whose reply consumer answers them).
   */
  channelLost(): void {
    if (!this.#channelJustLost) {
      this.#channelJustLost = true;
      setImmediate(() => {
        this.#channelJustLost = false;
      });
    }
    for (const [id, p] of this.#pending) if (p.confirmed) this.#replyLost(id, p);
  }

  #replyLost(correlationId: string, p: PendingRequest): void {
    this.counts.repliesLost++;
    this.#end(correlationId)?.reject(
      new ReplyLostError(`the channel the reply to ${p.target} would come on was lost; the responder may still do the work`),
    );
  }

  /** Fails every pending request (the publisher closes). */
  closeAll(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.#end(id)?.reject(error);
  }

  #timeOut(correlationId: string): void {
    const p = this.#end(correlationId);
    if (p === undefined) return;
    this.counts.timedOut++;
    this.#notifyResponders(correlationId, p.deadline);
    p.reject(new RequestTimeoutError(`no reply from ${p.target} within its deadline`));
  }

  #cancel(correlationId: string): void {
    const p = this.#end(correlationId);
    if (p === undefined) return;
    this.counts.cancelled++;
    this.#notifyResponders(correlationId, p.deadline);
    p.reject(new RequestCancelledError(`the request to ${p.target} was cancelled`, { cause: p.signal?.reason }));
  }

  #notifyResponders(correlationId: string, deadline: number): void {
    this.#d.notifyResponders(correlationId, deadline);
  }

  /** Forgets a request (its timer and abort listener too) and returns it, once. */
  #end(correlationId: string): PendingRequest | undefined {
    const p = this.#pending.get(correlationId);
    if (p === undefined) return undefined;
    this.#pending.delete(correlationId);
    this.#timeouts.remove(p);
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    return p;
  }
}

/** The reply's body as the responder sent it: JSON decoded, text as a string, anything else a Buffer. */
function decodeReply(reply: IncomingReply): unknown {
  const type = reply.contentType ?? '';
  if (type === '' || /json/i.test(type)) return reply.content.length === 0 ? undefined : parseJson(reply.content);
  if (type.startsWith('text/')) return reply.content.toString('utf8');
  return reply.content;
}

function parseJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}
