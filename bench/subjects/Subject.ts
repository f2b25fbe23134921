/**
 * What every library under test implements, in a measuring child process (bench/child.ts), as
 * its docs tell a team to use it. The handler work is the same for all: the library decodes the
 * JSON body (or the subject calls JSON.parse where the library does not), `onMessage` sees the
 * payload, then the handler awaits `handlerMs` if set, and the library (or the subject) acks.
 */
export interface Variant {
  /** Warren's `timeoutMs` (a deadline per message). */
  timeoutMs?: number;
  /** Warren's `concurrency` below prefetch. */
  concurrency?: number;
  /** Validate the payload with a zod schema (Warren: `schema`; raw: `schema.parse`). */
  schema?: boolean;
  /** Warren's Prometheus metrics on (`metrics: true`). */
  metrics?: boolean;
  /** Raw amqplib's socket option; the others use their library's default. */
  noDelay?: boolean;
  /** Raw amqplib's publish wrapped in a promise per message, settled by its confirm callback. */
  promise?: boolean;
}

export interface ConsumeSpec {
  url: string;
  queue: string;
  prefetch: number;
  /** 0: a no-op handler; otherwise the handler awaits a timer of this many ms before it returns. */
  handlerMs: number;
  variant: Variant;
}

export type OnMessage = (payload: unknown) => void;

export interface Consuming {
  /** Stops intake, lets every handler started finish and its message be acked, closes the connections. */
  stop(): Promise<void>;
}

export interface PublishSpec {
  url: string;
  queue: string;
  /** Unconfirmed publishes the driver keeps outstanding (and the library's own window where it has one). */
  window: number;
  variant: Variant;
}

export interface Publishing {
  /** Publishes one persistent `application/json` message to the queue; `done` runs on the broker's confirm. */
  send(body: Buffer, done: (error?: unknown) => void): void;
  close(): Promise<void>;
}

export interface Subject {
  consume(spec: ConsumeSpec, onMessage: OnMessage): Promise<Consuming>;
  publisher(spec: PublishSpec): Promise<Publishing>;
}

/** Counts handlers running, so a subject's stop() can wait for the last one before it closes. */
export class Outstanding {
  count = 0;
  #idle: Array<() => void> = [];

  enter(): void {
    this.count++;
  }

  leave(): void {
    if (--this.count === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }
}
