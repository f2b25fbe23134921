import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { retryQueueName } from '../topology/names.js';
import { RETRY_LADDER_MS } from '../topology/retryLadder.js';
import { isRefusal, onOwnChannel } from './brokerReplies.js';
import { type BrokerView, type LocalQueueCounts, readLocalBroker } from './localBroker.js';
import type { PlannedQueue, TopologyPlan } from './topologyPlan.js';

export interface QueueSample {
  ready: number;
  consumers: number;
  /** ms since the epoch. */
  at: number;
}

export interface QueueStatusRow {
  queue: string;
  role: 'work' | 'external';
  owner: string;
  exists: boolean;
  ready: number | null;
  /** Delivered and not yet acked: rabbitmqctl's count (null: not to be had over AMQP). */
  unacked: number | null;
  consumers: number | null;
  /** Net change of the ready count per second between the two samples: arrivals minus deliveries. */
  readyPerSec: number | null;
  /** Waiting in its delay queues (the configured delays' and any ladder step's that exists); null: none exists. */
  retrying: number | null;
  /** In its `<queue>.dlq`; null: it has none. */
  deadLetters: number | null;
}

export interface QueueStatusReport {
  sampledOverMs: number;
  unackedFrom: 'rabbitmqctl' | null;
  queues: QueueStatusRow[];
  notes: string[];
}

/**
 * Each queue of the app (and each queue it has publisher limits on), read twice `sampleMs`
 * apart by passive declares (ready, consumers, and so the net rate), with its DLQ and delay
 * queues. Unacked counts are not in AMQP: they come from rabbitmqctl for a broker on this
 * machine (read meanwhile), else are null, and a note says why.
 */
export async function readQueueStatus(
  connection: ConnectionManager,
  plan: TopologyPlan,
  options: { sampleMs?: number; local?: () => Promise<BrokerView> } = {},
): Promise<QueueStatusReport> {
  const sampleMs = options.sampleMs ?? 1000;
  const view = (options.local ?? (() => readLocalBroker(connection.brokerAddress, { queues: true })))();
  const main = statusQueues(plan);
  const first = await sampleAll(
    connection,
    main.map((q) => q.name),
  );
  const aux = await sampleAll(
    connection,
    main
      .filter((q) => q.role === 'work')
      .flatMap((q) => {
        const { dlq, retries } = satellites(plan, q.name);
        return dlq === undefined ? retries : [dlq, ...retries];
      }),
  );
  const started = Math.min(...[...first.values()].map((s) => s.at), Date.now());
  if (sampleMs > 0) await sleep(Math.max(0, started + sampleMs - Date.now()));
  const second =
    sampleMs > 0
      ? await sampleAll(
          connection,
          main.map((q) => q.name),
        )
      : first;
  const local = await view;
  const notes: string[] = [];
  let counts = local.queues;
  const unseen = [...second.keys()].find((name) => counts !== undefined && !counts.has(name));
  if (unseen !== undefined) {
    counts = undefined;
    notes.push(`unacked: not shown: the local rabbitmqctl speaks to another broker than the URL's (it does not list "${unseen}")`);
  } else if (counts === undefined) {
    notes.push(`unacked: not available over AMQP, and rabbitmqctl cannot tell here (${local.unavailable ?? 'not asked'})`);
  }
  if (sampleMs > 0) {
    notes.push(
      `ready/s: the net change of ready messages over ${sampleMs} ms (arrivals minus deliveries); publish, deliver and ack rates need the management plugin`,
    );
  }
  return {
    sampledOverMs: sampleMs,
    unackedFrom: counts === undefined ? null : 'rabbitmqctl',
    queues: statusRows(plan, { first, second, aux }, counts),
    notes,
  };
}

function statusQueues(plan: TopologyPlan): PlannedQueue[] {
  return plan.queues.filter((q) => q.role === 'work' || q.role === 'external');
}

/** A work queue's DLQ, and every delay queue it may have: the configured delays' and the ladder's (declared on first use). */
function satellites(plan: TopologyPlan, queue: string): { dlq: string | undefined; retries: string[] } {
  const dlq = plan.queues.find((q) => q.role === 'dead-letter' && q.of === queue)?.name;
  const planned = plan.queues.filter((q) => q.role === 'retry' && q.of === queue).map((q) => q.delayMs as number);
  return { dlq, retries: [...new Set([...planned, ...RETRY_LADDER_MS])].map((d) => retryQueueName(queue, d)) };
}

/** Passive declares, one channel each (a missing queue closes its channel); a queue not there is left out. */
async function sampleAll(connection: ConnectionManager, names: readonly string[]): Promise<Map<string, QueueSample>> {
  const out = new Map<string, QueueSample>();
  for (const name of names) {
    const answer = await onOwnChannel(connection, (ch) => ch.checkQueue(name));
    if (!isRefusal(answer)) out.set(name, { ready: answer.messageCount, consumers: answer.consumerCount, at: Date.now() });
  }
  return out;
}

/** The rows, from the samples (pure): ready and consumers from the later sample, the rate from both. */
export function statusRows(
  plan: TopologyPlan,
  samples: { first: ReadonlyMap<string, QueueSample>; second: ReadonlyMap<string, QueueSample>; aux: ReadonlyMap<string, QueueSample> },
  local: ReadonlyMap<string, LocalQueueCounts> | undefined,
): QueueStatusRow[] {
  return statusQueues(plan).map((q) => {
    const a = samples.first.get(q.name);
    const b = samples.second.get(q.name);
    const { dlq, retries } = q.role === 'work' ? satellites(plan, q.name) : { dlq: undefined, retries: [] };
    const waiting = retries.map((name) => samples.aux.get(name)?.ready).filter((n): n is number => n !== undefined);
    return {
      queue: q.name,
      role: q.role as 'work' | 'external',
      owner: q.owner,
      exists: b !== undefined,
      ready: b?.ready ?? null,
      unacked: b === undefined ? null : (local?.get(q.name)?.unacked ?? null),
      consumers: b?.consumers ?? null,
      readyPerSec: a !== undefined && b !== undefined && b.at > a.at ? netRate(a, b) : null,
      retrying: waiting.length === 0 ? null : waiting.reduce((x, y) => x + y, 0),
      deadLetters: dlq === undefined ? null : (samples.aux.get(dlq)?.ready ?? null),
    };
  });
}

/** Messages per second, to one decimal. */
export function netRate(a: QueueSample, b: QueueSample): number {
  return Math.round(((b.ready - a.ready) / ((b.at - a.at) / 1000)) * 10) / 10;
}
