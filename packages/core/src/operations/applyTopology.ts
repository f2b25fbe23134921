import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { isRefusal, onOwnChannel } from './brokerReplies.js';
import type { TopologyReport } from './diffTopology.js';
import type { ObservedTopology } from './probeTopology.js';
import { bindingKey, type TopologyPlan } from './topologyPlan.js';

/**
 * created: declared now; exists: there and as declared; bound: a binding declared where none could
 * be seen to exist (bindings are idempotent, and AMQP cannot list them); failed: left as it is
 * (it differs, or the broker refused); missing: not the app's to declare, and not there;
 * skipped: a binding whose queue or exchange is not there.
 */
export type ApplyResult = 'created' | 'exists' | 'bound' | 'failed' | 'missing' | 'skipped';

export interface AppliedItem {
  what: 'queue' | 'exchange' | 'binding';
  name: string;
  result: ApplyResult;
  /** failed, missing, skipped: why. */
  reason?: string;
}

/**
 * Declares what `observed` found missing, in dependency order (exchanges, then queues as planned:
 * each DLQ before the queue that dead-letters into it, then bindings), each on its own channel.
 * What differs is not declared (the broker would refuse it, and fixing it means deleting a queue
 * with its messages: an operator's decision), nor what the app does not declare itself.
 */
export async function applyTopology(
  connection: ConnectionManager,
  plan: TopologyPlan,
  observed: ObservedTopology,
  report: TopologyReport,
): Promise<AppliedItem[]> {
  const problems = new Map(report.differences.map((d) => [`${d.what}\u0000${d.name}`, `${d.problem}: ${d.detail}`]));
  const items: AppliedItem[] = [];
  // What is there now (as declared or not): a binding to it can be declared.
  const ok = new Set<string>();
  for (const x of plan.exchanges) {
    const state = observed.exchanges.get(x.name)?.state ?? 'missing';
    const problem = problems.get(`exchange\u0000${x.name}`);
    let item: AppliedItem;
    if (state === 'missing') {
      const answer = await onOwnChannel(connection, (ch) => ch.assertExchange(x.name, x.type, { durable: x.durable }));
      item = isRefusal(answer) ? failed('exchange', x.name, answer.text) : { what: 'exchange', name: x.name, result: 'created' };
    } else item = problem === undefined ? { what: 'exchange', name: x.name, result: 'exists' } : failed('exchange', x.name, problem);
    if (item.result === 'created' || state !== 'missing') ok.add(`exchange\u0000${x.name}`);
    items.push(item);
  }
  for (const q of plan.queues) {
    const state = observed.queues.get(q.name)?.state ?? 'missing';
    const problem = problems.get(`queue\u0000${q.name}`);
    let item: AppliedItem;
    if (state === 'missing' && !q.declare) item = { what: 'queue', name: q.name, result: 'missing', reason: problem ?? 'not there' };
    else if (state === 'missing') {
      const answer = await onOwnChannel(connection, (ch) => ch.assertQueue(q.name, { durable: q.durable, arguments: q.arguments }));
      item = isRefusal(answer) ? failed('queue', q.name, answer.text) : { what: 'queue', name: q.name, result: 'created' };
    } else item = problem === undefined ? { what: 'queue', name: q.name, result: 'exists' } : failed('queue', q.name, problem);
    if (item.result === 'created' || state !== 'missing') ok.add(`queue\u0000${q.name}`);
    items.push(item);
  }
  const present = 'present' in observed.bindings ? observed.bindings.present : undefined;
  for (const b of plan.bindings) {
    const name = `${b.exchange} -> ${b.queue} (${JSON.stringify(b.routingKey)})`;
    if (!ok.has(`exchange\u0000${b.exchange}`) || !ok.has(`queue\u0000${b.queue}`)) {
      items.push({ what: 'binding', name, result: 'skipped', reason: 'its queue or exchange is not there' });
      continue;
    }
    if (present?.has(bindingKey(b.exchange, b.queue, b.routingKey)) === true) {
      items.push({ what: 'binding', name, result: 'exists' });
      continue;
    }
    const answer = await onOwnChannel(connection, (ch) => ch.bindQueue(b.queue, b.exchange, b.routingKey));
    if (isRefusal(answer)) items.push(failed('binding', name, answer.text));
    else items.push({ what: 'binding', name, result: present === undefined ? 'bound' : 'created' });
  }
  return items;
}

function failed(what: AppliedItem['what'], name: string, reason: string): AppliedItem {
  return { what, name, result: 'failed', reason };
}

/** Whether the broker now has everything the app declares (nothing failed, missing or skipped). */
export function appliedCleanly(items: readonly AppliedItem[]): boolean {
  return items.every((i) => i.result === 'created' || i.result === 'exists' || i.result === 'bound');
}
