/** What breaker.test.ts reads a run with: breaker transitions in time, handler starts, retry queues, a worker that calls the downstream. */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import {
  Consumer,
  type ConsumerOptions,
  type ConsumerStats,
  type MessageContext,
  type WarrenApp,
  type WarrenEvents,
  Worker,
} from '@warren/core';
import { rabbitmqctl, Tally } from '@warren/testing';
import type { SimulatedDownstream } from '../support/downstream.js';

export type Job = { id: string };

/** Breaker events with the time each came, in order. */
export function recordTransitions(app: WarrenApp) {
  const seen: Array<{ kind: 'open' | 'half-open' | 'closed'; at: number; consumers: string[]; detail?: unknown }> = [];
  const on = <K extends 'breakerOpen' | 'breakerHalfOpen' | 'breakerClosed'>(event: K, kind: 'open' | 'half-open' | 'closed') =>
    app.events.on(event, (...args: WarrenEvents[K]) => seen.push({ kind, at: Date.now(), consumers: [...args[1]], detail: args[2] }));
  on('breakerOpen', 'open');
  on('breakerHalfOpen', 'half-open');
  on('breakerClosed', 'closed');
  return seen;
}

/** Handler starts that fell inside an open period (after an open, before the next half-open). */
export function startsWhileOpen(starts: number[], transitions: ReturnType<typeof recordTransitions>): number[] {
  const bad: number[] = [];
  transitions.forEach((t, i) => {
    if (t.kind !== 'open') return;
    const until = transitions.slice(i + 1).find((n) => n.kind === 'half-open')?.at ?? Number.POSITIVE_INFINITY;
    for (const s of starts) if (s > t.at && s < until) bad.push(s - t.at);
  });
  return bad;
}

/** Messages in the queue's retry queues (<queue>.retry.<ms>), by rabbitmqctl. */
export async function inRetryQueues(queue: string): Promise<number> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages', '--no-table-headers');
  let n = 0;
  for (const line of out.split('\n')) {
    const [name, messages] = line.trim().split(/\s+/);
    if (name?.startsWith(`${queue}.retry.`)) n += Number(messages);
  }
  return n;
}

/** A consumer whose handler calls the downstream, recording when each handler starts and which ids succeeded. */
export function downstreamWorker(name: string, options: ConsumerOptions, downstream: SimulatedDownstream) {
  const handled = new Tally();
  const starts: number[] = [];
  @Consumer({ ...options, name })
  class DownstreamWorker extends Worker<Job> {
    async handle(job: Job, ctx: MessageContext): Promise<void> {
      starts.push(Date.now());
      await downstream.call(ctx.signal);
      handled.add(job.id);
    }
  }
  return { worker: DownstreamWorker, handled, starts };
}

export function stats(app: WarrenApp, i = 0): ConsumerStats {
  const c = app.consumers[i];
  assert.ok(c);
  return c.stats();
}
