import { DEFAULT_PREFETCH } from '@warren/core';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { runJob } from '../lib/runJob.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';
import type { IdleResult, Window } from '../measure/jobs.js';
import { PEERS, RAW, type SubjectSpec, selectSubjects, WARREN } from '../subjects/catalogue.js';

/** Idling is cheap and slow to read: a longer window than the message scenarios' 2 s (--window overrides it). */
const IDLE_WINDOW: Window = { warmupMs: 1000, windowMs: 4000 };

/**
 * A worker with nothing to do: each subject's consumer and publisher, used once, then idle (a
 * fleet of workers spends most of its time so). The process's CPU per second, and how often its
 * threads were woken. No target in the issue; raw amqplib is the floor (its heartbeats only).
 */
export const idle: Scenario = {
  name: 'idle',
  description: 'a consumer and a publisher, each used once, then idle: CPU per second and wake-ups per second',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const subjects = selectSubjects([RAW, WARREN, ...PEERS], ctx.subjects);
    const window: Window = ctx.quick
      ? { warmupMs: 300, windowMs: 700 }
      : { warmupMs: ctx.warmupMs ?? IDLE_WINDOW.warmupMs, windowMs: ctx.windowMs ?? IDLE_WINDOW.windowMs };
    const queue = benchQueueName('idle');
    const cpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
    const wakeups: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
    await withQueue(ctx.url, queue, () =>
      alternate(
        ctx.rounds,
        Object.fromEntries(
          subjects.map((s: SubjectSpec) => [
            s.key,
            async (): Promise<number> => {
              const spec = { url: ctx.url, queue, variant: s.variant };
              const r = await runJob<IdleResult>(
                ctx,
                {
                  kind: 'idle',
                  module: s.module,
                  consume: { ...spec, prefetch: DEFAULT_PREFETCH, handlerMs: 0 },
                  publish: { ...spec, window: 1 },
                  window,
                },
                async () => undefined,
                60_000,
              );
              ctx.note(`  ${s.label}: ${r.cpuMsPerSec.toFixed(2)} ms CPU/s, ${r.wakeupsPerSec.toFixed(0)} wake-ups/s`);
              (cpu[s.key] as number[]).push(r.cpuMsPerSec);
              (wakeups[s.key] as number[]).push(r.wakeupsPerSec);
              return r.cpuMsPerSec;
            },
          ]),
        ),
      ),
    );
    const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
    return [...rowsFromRounds('idle cpu', 'ms CPU/s', cpu, label), ...rowsFromRounds('idle wake-ups', 'wake-ups/s', wakeups, label)];
  },
};
