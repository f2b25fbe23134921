import { benchQueueName, Reservoir, withQueue } from '../lib/broker.js';
import { runJob } from '../lib/runJob.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario, Target } from '../lib/types.js';
import { PUBLISH_WARMUP_MS, windowFor } from '../lib/windows.js';
import type { PublishResult } from '../measure/jobs.js';
import { describeReading } from '../measure/snapshot.js';
import { PEERS, RAW, RAW_PROMISE, type SubjectSpec, selectSubjects, WARREN } from '../subjects/catalogue.js';

const ATTEMPTS = 3;

/**
 * Confirmed publishing of 1 KiB persistent JSON messages to a plain durable queue, `window`
 * unconfirmed at most: the driver keeps that many outstanding (a new publish per confirm), and
 * Warren's own maxInFlight is the same. Confirms per second, the child's CPU per message, the
 * broker's, and the child's GC pauses. Beside raw amqplib's confirm callback, raw amqplib with a
 * promise per publish (RAW_PROMISE): what Warren's promise-returning publish() costs by its shape.
 */
export function publishScenario(window: number, quick = false): Scenario {
  const name = `publish confirm window=${window}`;
  const cpuName = `publish confirm cpu window=${window}`;
  const brokerName = `publish confirm broker cpu window=${window}`;
  const gcName = `publish confirm gc window=${window}`;
  return {
    name,
    quick,
    description: `confirmed publishes, ${window} unconfirmed at most, 1 KiB persistent messages to a durable queue`,
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const subjects = selectSubjects([RAW, RAW_PROMISE, WARREN, ...PEERS], ctx.subjects);
      const w = windowFor(ctx, PUBLISH_WARMUP_MS);
      const queue = benchQueueName(`publish${window}`);
      const cpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const brokerCpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const gc: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const rates = await withQueue(ctx.url, queue, async () => {
        const reservoir = new Reservoir(ctx.url, queue);
        const measure = (s: SubjectSpec) => async (): Promise<number> => {
          for (let attempt = 1; ; attempt++) {
            try {
              const r = await runJob<PublishResult>(
                ctx,
                { kind: 'publish', module: s.module, publish: { url: ctx.url, queue, window, variant: s.variant }, window: w },
                () => reservoir.purge(),
                120_000,
              );
              const depth = await reservoir.depth();
              if (depth !== r.confirmed) ctx.note(`  ${s.label}: the queue holds ${depth} messages after ${r.confirmed} confirms`);
              ctx.note(describeReading(s.label, r));
              (cpu[s.key] as number[]).push(r.cpuUsPerMsg);
              (brokerCpu[s.key] as number[]).push(r.brokerCpuUsPerMsg);
              (gc[s.key] as number[]).push(r.gcUsPerMsg);
              return r.rate;
            } catch (error) {
              if (attempt >= ATTEMPTS) throw error;
              ctx.note(`  ${s.label}: measurement discarded (${(error as Error).message.split('\n')[0]}); again`);
            }
          }
        };
        try {
          return await alternate(ctx.rounds, Object.fromEntries(subjects.map((s) => [s.key, measure(s)])));
        } finally {
          await reservoir.purge().catch(() => undefined);
          await reservoir.close();
        }
      });
      const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
      const rateTarget: Record<string, Target> = { warren: { of: 'ratio', op: '>=', bound: 0.98 } };
      const cpuTarget: Record<string, Target> = { warren: { of: 'ratio', op: '<=', bound: 1.05 } };
      return [
        ...rowsFromRounds(name, 'msg/s', rates, label, rateTarget),
        ...rowsFromRounds(cpuName, 'µs CPU/msg', cpu, label, cpuTarget),
        ...rowsFromRounds(brokerName, 'µs broker CPU/msg', brokerCpu, label),
        ...rowsFromRounds(gcName, 'µs GC pause/msg', gc, label),
      ];
    },
  };
}

export const publishScenarios: readonly Scenario[] = [publishScenario(1), publishScenario(100, true), publishScenario(1000)];
