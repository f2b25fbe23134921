import { jsonBody, type Payload } from '../lib/messages.js';
import { quantile } from '../lib/stats.js';
import type { Subject } from '../subjects/Subject.js';
import type { Job, LatencyResult } from './jobs.js';
import { windowProfile } from './profile.js';
import { between, snapshot } from './snapshot.js';

const CATCH_UP_MS = 10_000;

/**
 * Publishes at a steady offered rate (a 1 ms timer tick publishes what is due) through the
 * subject's publisher, consumes through its consumer, in one process: latency is the handler's
 * time minus the send time carried in the body, for the messages sent in the window.
 */
export async function measureLatency(job: Extract<Job, { kind: 'latency' }>, subject: Subject): Promise<LatencyResult> {
  const { warmupMs, windowMs } = job.window;
  const samples: number[] = [];
  let received = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.POSITIVE_INFINITY;
  let caughtUp: () => void = () => undefined;
  let sent = 0;
  let sending = true;
  const consuming = await subject.consume(job.consume, (payload) => {
    const now = performance.now();
    const t = (payload as Payload).t;
    if (t >= from && t < to) samples.push(now - t);
    if (++received === sent && !sending) caughtUp();
  });
  const publishing = await subject.publisher(job.publish);
  let failure: unknown;
  let confirms = 0;
  let allConfirmed: () => void = () => undefined;
  const confirmed = (error?: unknown): void => {
    if (error !== undefined) failure ??= error;
    if (++confirms === sent && !sending) allConfirmed();
  };
  const start = performance.now();
  from = start + warmupMs;
  to = from + windowMs;
  const perMs = job.ratePerSec / 1000;
  let opened = snapshot(0);
  let windowSent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.floor((Math.min(now, to) - start) * perMs);
      while (sent < due) publishing.send(jsonBody(sent++, performance.now()), confirmed);
      if (now >= from && opened.n === 0) {
        opened = snapshot(sent);
        windowProfile().open();
      }
      if (now >= to || failure !== undefined) {
        windowSent = sent - opened.n;
        resolve();
      } else setTimeout(tick, 1);
    };
    tick();
  });
  const closedAt = snapshot(sent);
  windowProfile().close();
  sending = false;
  await Promise.race([
    new Promise<void>((resolve) => {
      caughtUp = resolve;
      if (received >= sent) resolve();
    }),
    new Promise<void>((resolve) => setTimeout(resolve, CATCH_UP_MS).unref()),
  ]);
  // A persistent message can reach its consumer before its publisher hears the confirm (written
  // to disk): wait for every confirm, so closing the publisher abandons none.
  await Promise.race([
    new Promise<void>((resolve) => {
      allConfirmed = resolve;
      if (confirms >= sent) resolve();
    }),
    new Promise<void>((resolve) => setTimeout(resolve, CATCH_UP_MS).unref()),
  ]);
  await consuming.stop();
  await publishing.close();
  if (failure !== undefined) throw failure;
  if (received < sent) throw new Error(`${sent - received} of ${sent} messages not handled ${CATCH_UP_MS} ms after the last publish`);
  samples.sort((a, b) => a - b);
  const { cpuUsPerMsg } = between(opened, closedAt);
  return {
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: samples.at(-1) ?? Number.NaN,
    samples: samples.length,
    offered: windowSent / ((closedAt.t - opened.t) / 1000),
    cpuUsPerMsg,
  };
}
