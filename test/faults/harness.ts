/**
 * What the fault scenarios share (not a test file itself): a worker class that tallies each id it
 * handles, a producer that publishes numbered messages at a fixed rate through Warren's Publisher
 * (re-sending any publish that fails, like an outbox, so every id is eventually in the queue), the
 * end-of-scenario checks (every id handled, duplicates within the scenario's bound, queues at
 * 0 ready / 0 unacked, nothing dead-lettered) and the one-line tally each scenario prints.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  Consumer,
  type ConsumerStats,
  createPublisher,
  deadLetterQueueName,
  type MessageContext,
  Publisher,
  type PublisherStats,
  type WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, type Tally, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { BROKER_URL } from '../support/broker.js';

/** Messages per scenario. */
export const COUNT = 2500;

/** When handlers start and finish, for recovery timings and drain order. */
export class Timeline {
  readonly starts: number[] = [];
  readonly dones: number[] = [];
  /** First handler start at or after `t` (ms since epoch), or undefined. */
  firstStartAfter(t: number): number | undefined {
    return firstAtOrAfter(this.starts, t);
  }
  /** First handler completion at or after `t`, or undefined. */
  firstDoneAfter(t: number): number | undefined {
    return firstAtOrAfter(this.dones, t);
  }
}

function firstAtOrAfter(times: readonly number[], t: number): number | undefined {
  let found: number | undefined;
  for (let i = times.length - 1; i >= 0; i--) {
    const s = times[i] as number;
    if (s < t) break;
    found = s;
  }
  return found;
}

export interface TallyWorkerOptions {
  queue: string;
  /** Consumer name (default the class name, TallyWorker): give each its own when an app has two. */
  name?: string;
  prefetch?: number;
  handlerMs?: number;
  /** Also publish `{ id }` to this queue through the injected Publisher (confirmed) before returning. */
  forwardTo?: string;
  /** Called with each id handled, after the tally counted it. */
  onHandled?: (id: string) => void;
}

/** A @Consumer class that sleeps `handlerMs`, optionally forwards, then counts the id as handled. */
export function tallyWorker(
  tally: Tally,
  timeline: Timeline,
  options: TallyWorkerOptions,
): new (
  ...args: never[]
) => Worker<{ id: string }> {
  const handlerMs = options.handlerMs ?? 5;
  const forwardTo = options.forwardTo;
  @Consumer({ queue: options.queue, name: options.name, prefetch: options.prefetch ?? 10, retry: { attempts: 10, delayMs: 200 } })
  class TallyWorker extends Worker<{ id: string }> {
    constructor(@inject(Publisher) private readonly publisher: Publisher) {
      super();
    }
    async handle(msg: { id: string }, ctx: MessageContext): Promise<void> {
      timeline.starts.push(Date.now());
      await sleep(handlerMs, ctx.signal);
      if (forwardTo !== undefined) await this.publisher.send(forwardTo, { id: msg.id }, { messageId: msg.id });
      tally.add(msg.id);
      timeline.dones.push(Date.now());
      options.onHandled?.(msg.id);
    }
  }
  return TallyWorker;
}

/**
 * Publishes `count` messages `{ id: <prefix><n> }` at `perSecond` through a Warren Publisher.
 * A publish that rejects (unconfirmed, timed out) is sent again after a short pause, so every id
 * ends up in the queue at least once; a re-send of a message that did arrive is a duplicate the
 * scenario caused.
 */
export class PacedProducer {
  readonly ids: string[] = [];
  confirmed = 0;
  resent = 0;
  readonly failures: Record<string, number> = {};
  #pending = 0;
  #stopped = false;
  #done: Promise<void> | undefined;

  constructor(
    readonly publisher: Publisher,
    readonly queue: string,
    readonly count: number,
    readonly perSecond: number,
    readonly prefix = 'm',
  ) {}

  /** A producer on its own Publisher (connection `<name>:publish`), straight to the broker. */
  static async direct(queue: string, count: number, perSecond: number, name: string): Promise<PacedProducer> {
    const publisher = await createPublisher({
      urls: BROKER_URL,
      appName: name,
      republishUnconfirmed: true,
      timeoutMs: 60_000,
      maxInFlight: 200,
    });
    return new PacedProducer(publisher, queue, count, perSecond);
  }

  get sent(): number {
    return this.ids.length;
  }

  start(): this {
    this.#done ??= this.#run();
    return this;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Resolves when every message is published and confirmed. */
  async finished(timeoutMs = 60_000): Promise<void> {
    await this.start().#done;
    await waitFor(`producer: all ${this.ids.length} confirmed (${this.#pending} pending)`, () => this.#pending === 0, timeoutMs);
  }

  async #run(): Promise<void> {
    const started = Date.now();
    while (!this.#stopped && this.ids.length < this.count) {
      const due = Math.min(this.count, Math.floor(((Date.now() - started) / 1000) * this.perSecond) + 1);
      while (this.ids.length < due) {
        const id = `${this.prefix}${this.ids.length}`;
        this.ids.push(id);
        this.#pending++;
        this.#send(id);
      }
      await sleep(10);
    }
  }

  #send(id: string): void {
    this.publisher.send(this.queue, { id }, { messageId: id }).then(
      () => {
        this.confirmed++;
        this.#pending--;
      },
      (error: Error) => {
        this.failures[error.name] = (this.failures[error.name] ?? 0) + 1;
        this.resent++;
        setTimeout(() => this.#send(id), 100);
      },
    );
  }
}

/** Waits until the queue has nothing ready and nothing unacked (as the broker counts). */
export async function waitQueueSettled(queue: string, timeoutMs = 30_000): Promise<{ ready: number; unacked: number }> {
  let last = { ready: -1, unacked: -1 };
  await waitFor(
    `queue ${queue} at 0 ready / 0 unacked (last ${JSON.stringify(last)})`,
    async () => {
      last = await queueCounts(queue);
      return last.ready === 0 && last.unacked === 0;
    },
    timeoutMs,
    250,
  );
  return last;
}

export interface TallyCheck {
  scenario: string;
  expected: readonly string[];
  tally: Tally;
  /** Most duplicates the scenario can cause. */
  maxDuplicates: number;
  /** Queues that must end at 0 ready / 0 unacked. */
  queues: readonly string[];
  consumer?: ConsumerStats;
  producer?: PublisherStats & { resent?: number };
  extra?: Record<string, unknown>;
}

/** Prints the scenario's tally and asserts it: every id handled, duplicates within bound, queues empty, DLQ empty. */
export async function checkTally(t: TestContext, check: TallyCheck): Promise<void> {
  const { tally, expected } = check;
  const missing = tally.missing(expected);
  const duplicates = tally.duplicates();
  const queues: Record<string, string> = {};
  for (const q of check.queues) {
    const c = await waitQueueSettled(q).catch(async () => queueCounts(q));
    const main = check.queues[0] as string;
    queues[q === main ? 'queue' : q.startsWith(`${main}.`) ? q.slice(main.length + 1) : q] = `${c.ready}/${c.unacked}`;
  }
  const dlq = await queueCounts(deadLetterQueueName(check.queues[0] as string)).catch(() => ({ ready: 0, unacked: 0 }));
  const c = check.consumer;
  const p = check.producer;
  const line =
    `[faults] ${check.scenario}: published ${expected.length}, handled ${tally.total} (distinct ${tally.seen.size}), ` +
    `lost ${missing.length}, duplicates ${duplicates} (allowed <= ${check.maxDuplicates}), dlq ${dlq.ready}, ready/unacked ${JSON.stringify(queues)}` +
    (c === undefined
      ? ''
      : `; consumer acked ${c.acked}, unsettleable ${c.unsettleable}, redeliveriesCounted ${c.redeliveriesCounted}, retried ${c.retried}, channelOpens ${c.channelOpens}`) +
    (p === undefined
      ? ''
      : `; producer republished ${p.republished}, resent ${p.resent ?? 0}, timedOut ${p.timedOut}, unconfirmed ${p.unconfirmed}`) +
    (check.extra === undefined
      ? ''
      : `; ${Object.entries(check.extra)
          .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(', ')}`);
  console.log(line);
  t.diagnostic(line);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} ids never handled`);
  assert.ok(duplicates <= check.maxDuplicates, `${duplicates} duplicates, more than the ${check.maxDuplicates} this scenario can cause`);
  for (const [q, counts] of Object.entries(queues)) assert.equal(counts, '0/0', `${q} ready/unacked`);
  assert.equal(dlq.ready, 0, 'nothing dead-lettered');
}

/** Opens a fresh admin connection (the scenario's faults may have killed earlier ones) and deletes `queues` and their derived queues. */
export async function deleteQueues(...queues: string[]): Promise<void> {
  const admin = await BrokerAdmin.open();
  admin.trackQueue(...queues);
  await admin.cleanup();
}

/** Stops the app (if started) without letting a failing stop hide the test's own error. */
export async function stopQuietly(app: WarrenApp | undefined): Promise<void> {
  await app?.stop(2000).catch((error: unknown) => console.error('stop failed', error));
}

/** `promise`, or a rejection naming `what` after `ms`: a scenario waiting on an event never hangs the suite. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves on the next `connected` of the app's consume connection after now. */
export function nextConsumeConnect(app: WarrenApp): Promise<[number, string]> {
  return app.connections.consume.events.once('connected');
}

/** Waits until every consumer of the app is consuming again. */
export async function consuming(app: WarrenApp, timeoutMs = 30_000): Promise<void> {
  await waitFor('consumers consuming', () => app.consumers.every((c) => c.state === 'consuming'), timeoutMs);
}
