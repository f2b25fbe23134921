import { benchQueueName, Reservoir, withQueue } from '../lib/broker.js';
import { runJob } from '../lib/runJob.js';
import { alternate, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario, Target } from '../lib/types.js';
import { SHORT_WARMUP_MS, windowFor } from '../lib/windows.js';
import type { ConsumeResult } from '../measure/jobs.js';
import { describeReading } from '../measure/snapshot.js';
import { PEERS, RAW, type SubjectSpec, selectSubjects, WARREN, warrenWith } from '../subjects/catalogue.js';

/** Measurements retried after a broker-side interruption (a shared broker may close connections or raise an alarm). */
const ATTEMPTS = 3;
/** Refills when a subject drained the queue before its window closed (the first guess of the rate was low). */
const REFILLS = 3;

export interface ConsumeCase {
  prefetch: number;
  /** 0: a no-op handler; otherwise an async handler that awaits a timer this long. */
  handlerMs: number;
  subjects: readonly SubjectSpec[];
  /** Warren's options and raw's schema: run after `subjects` in a full run, left out of --quick (the smoke compares like with like). */
  variants?: readonly SubjectSpec[];
  /** By subject key: throughput and CPU-per-message targets. */
  targets?: Readonly<Record<string, { rate?: Target; cpu?: Target }>>;
  quick?: boolean;
}

function names(c: ConsumeCase): { rate: string; cpu: string; broker: string } {
  const handler = c.handlerMs > 0 ? ` handler=${c.handlerMs}ms` : '';
  return {
    rate: `consume${handler} prefetch=${c.prefetch}`,
    cpu: `consume cpu${handler} prefetch=${c.prefetch}`,
    broker: `consume broker cpu${handler} prefetch=${c.prefetch}`,
  };
}

/**
 * Consume and ack 1 KiB persistent JSON messages from a pre-filled plain durable queue: each
 * subject in a child process of its own, alternating within each round; handler calls per second
 * and the child's CPU per message over the window. Between measurements the queue is purged and
 * refilled (a requeued message would be a redelivery, which Warren counts as an attempt), and the
 * count is checked: the queue lost exactly the messages the subject handled.
 */
export function consumeScenario(c: ConsumeCase): Scenario {
  const { rate: name, cpu: cpuName, broker: brokerName } = names(c);
  // Little's law: at most `prefetch` messages in flight, each held handlerMs at least.
  const bound = c.handlerMs > 0 ? (c.prefetch * 1000) / c.handlerMs : Number.POSITIVE_INFINITY;
  return {
    name,
    quick: c.quick,
    description:
      `consume + ack, ${c.handlerMs > 0 ? `a ${c.handlerMs} ms async handler` : 'a no-op handler'}, prefetch ${c.prefetch}, ` +
      'from a pre-filled durable queue of persistent 1 KiB JSON messages',
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const subjects = selectSubjects(ctx.quick ? c.subjects : [...c.subjects, ...(c.variants ?? [])], ctx.subjects);
      const window = windowFor(ctx, SHORT_WARMUP_MS);
      const queue = benchQueueName(`consume${c.prefetch}`);
      // A first guess of the rate, raised to the fastest seen: the queue holds enough for warm-up and window, with a margin.
      let expected = Math.min(bound, c.prefetch === 1 ? 3000 : 9000);
      const cpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const brokerCpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const rates = await withQueue(ctx.url, queue, async () => {
        const reservoir = new Reservoir(ctx.url, queue);
        const measure = (s: SubjectSpec) => async (): Promise<number> => {
          let refills = 0;
          for (let attempt = 1; ; ) {
            // What the last subject left fresh counts too: the queue is only topped up.
            const needed = Math.ceil((expected * (window.warmupMs + window.windowMs) * 1.3) / 1000) + c.prefetch;
            const available = Math.max(needed, reservoir.fresh);
            try {
              const r = await runJob<ConsumeResult>(
                ctx,
                {
                  kind: 'consume',
                  module: s.module,
                  consume: { url: ctx.url, queue, prefetch: c.prefetch, handlerMs: c.handlerMs, variant: s.variant },
                  window,
                  available,
                },
                () => reservoir.fill(available),
                120_000,
              );
              const left = await reservoir.depth();
              reservoir.measured(available, r.handled, left);
              if (left !== available - r.handled) {
                ctx.note(
                  `  ${s.label}: the queue kept ${left} of ${available} after ${r.handled} handled (not every handled message was acked at stop)`,
                );
              }
              if (r.ranDry) {
                if (++refills > REFILLS)
                  throw new Error(`${s.label} drained ${available} messages before its window closed, ${REFILLS} times`);
                expected = Math.min(bound, expected * 3);
                continue;
              }
              // Never lowered: one measurement slowed by a busy machine must not starve the next subject.
              expected = Math.min(bound, Math.max(expected, r.rate));
              ctx.note(describeReading(s.label, r));
              (cpu[s.key] as number[]).push(r.cpuUsPerMsg);
              (brokerCpu[s.key] as number[]).push(r.brokerCpuUsPerMsg);
              return r.rate;
            } catch (error) {
              if (attempt++ >= ATTEMPTS) throw error;
              ctx.note(`  ${s.label}: measurement discarded (${(error as Error).message.split('\n')[0]}); again`);
            }
          }
        };
        try {
          return await alternate(ctx.rounds, Object.fromEntries(subjects.map((s) => [s.key, measure(s)])));
        } finally {
          await reservoir.close();
        }
      });
      const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
      const targets = c.targets ?? {};
      const pick = (k: 'rate' | 'cpu'): Record<string, Target> =>
        Object.fromEntries(Object.entries(targets).flatMap(([key, t]) => (t[k] === undefined ? [] : [[key, t[k]]])));
      const rows = [
        ...rowsFromRounds(name, 'msg/s', rates, label, pick('rate')),
        ...rowsFromRounds(cpuName, 'µs CPU/msg', cpu, label, pick('cpu')),
        ...rowsFromRounds(brokerName, 'µs broker CPU/msg', brokerCpu, label),
      ];
      if (Number.isFinite(bound)) {
        const raw = rows[0]?.value ?? Number.NaN;
        rows.splice(subjects.length, 0, {
          scenario: name,
          subject: `Little's-law bound: prefetch / ${c.handlerMs} ms`,
          value: bound,
          unit: 'msg/s',
          ratioToRaw: bound / raw,
          min: bound,
          max: bound,
        });
      }
      return rows;
    },
  };
}

const ALL = [RAW, WARREN, ...PEERS];
const NOOP_TARGETS = { warren: { rate: { of: 'ratio', op: '>=', bound: 0.98 }, cpu: { of: 'ratio', op: '<=', bound: 1.05 } } } as const;
const timeout = warrenWith('warren-timeout', 'timeoutMs=30000', { timeoutMs: 30_000 });
const TIMEOUT_TARGET = { 'warren-timeout': { cpu: { of: 'ratio', op: '<=', bound: 1.1 } } } as const;

/** The consume scenarios of the issue, in run order. */
export const consumeScenarios: readonly Scenario[] = [
  consumeScenario({ prefetch: 1, handlerMs: 0, subjects: ALL }),
  consumeScenario({ prefetch: 10, handlerMs: 0, subjects: ALL }),
  consumeScenario({
    prefetch: 100,
    handlerMs: 0,
    quick: true,
    subjects: ALL,
    variants: [
      timeout,
      warrenWith('warren-concurrency', 'concurrency=10', { concurrency: 10 }),
      warrenWith('warren-schema', 'schema (zod)', { schema: true }),
      { key: 'raw-schema', module: 'raw', label: 'raw amqplib + zod parse', variant: { noDelay: true, schema: true } },
      warrenWith('warren-metrics', 'metrics on', { metrics: true }),
    ],
    targets: { ...NOOP_TARGETS, ...TIMEOUT_TARGET },
  }),
  consumeScenario({ prefetch: 1000, handlerMs: 0, subjects: ALL, variants: [timeout], targets: { ...NOOP_TARGETS, ...TIMEOUT_TARGET } }),
  consumeScenario({ prefetch: 10, handlerMs: 2, subjects: ALL, targets: { warren: { rate: { of: 'ratio', op: '>=', bound: 0.98 } } } }),
  consumeScenario({ prefetch: 100, handlerMs: 2, subjects: ALL, targets: { warren: { rate: { of: 'ratio', op: '>=', bound: 0.98 } } } }),
];
