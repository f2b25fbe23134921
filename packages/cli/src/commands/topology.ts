import {
  type AppliedItem,
  appliedCleanly,
  applyTopology,
  describeQueue,
  diffTopology,
  observeTopology,
  RETRY_LADDER_MS,
  type TopologyPlan,
} from '@warren/core';
import { exitCodes } from '../exitCodes.js';
import { adminConnection } from './adminConnection.js';
import { finish, loadAppTopology, type OperatorOptions } from './appTopology.js';

export interface TopologyOptions extends OperatorOptions {
  apply?: boolean;
}

const LADDER_NOTE =
  `retry queues: the configured delays'. A RetryLater with another delay waits in <queue>.retry.<step>, ` +
  `one of ${RETRY_LADDER_MS.length} steps from ${RETRY_LADDER_MS[0]} ms to a day, declared when first used.`;

/**
 * `warren topology <app-module> [--apply]`: prints every exchange, queue (work, dead-letter,
 * retry) and binding the app declares, with their arguments, without connecting. With --apply,
 * declares what is missing and reports each item; what differs is left as it is (exit 4).
 */
export async function topologyCommand(modulePath: string, opts: TopologyOptions): Promise<void> {
  const { name, plan, broker } = await loadAppTopology(modulePath, opts);
  if (opts.apply !== true) {
    const text =
      opts.json === true ? `${JSON.stringify({ command: 'topology', app: name, applied: false, ...plan })}\n` : humanPlan(name, plan);
    return finish(text, exitCodes.ok);
  }
  const connection = await adminConnection(broker);
  let items: AppliedItem[];
  try {
    const observed = await observeTopology(connection, plan);
    items = await applyTopology(connection, plan, observed, diffTopology(plan, observed));
  } finally {
    await connection.close();
  }
  const clean = appliedCleanly(items);
  const code = clean ? exitCodes.ok : exitCodes.drift;
  if (opts.json === true) {
    return finish(
      `${JSON.stringify({ command: 'topology', app: name, applied: true, broker: connection.address, ok: clean, results: items })}\n`,
      code,
    );
  }
  const lines = [`warren topology --apply: app "${name}" on ${connection.address}`];
  for (const i of items)
    lines.push(`  ${i.result.padEnd(7)}  ${i.what.padEnd(8)}  ${i.name}${i.reason === undefined ? '' : `: ${i.reason}`}`);
  const count = (r: AppliedItem['result']): number => items.filter((i) => i.result === r).length;
  lines.push(
    clean
      ? `ok: ${count('created')} created, ${count('exists')} already there${count('bound') > 0 ? `, ${count('bound')} binding(s) declared` : ''}`
      : `exit ${code}: ${items.length - count('created') - count('exists') - count('bound')} item(s) not as declared`,
  );
  return finish(`${lines.join('\n')}\n`, code);
}

function humanPlan(app: string, plan: TopologyPlan): string {
  const lines = [`app "${app}": ${plan.exchanges.length} exchange(s), ${plan.queues.length} queue(s), ${plan.bindings.length} binding(s)`];
  for (const x of plan.exchanges) lines.push(`  exchange  ${x.name}  ${x.type}${x.durable ? ', durable' : ''}  (${x.owner})`);
  for (const q of plan.queues) {
    const args = Object.entries(q.arguments).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const settings = [q.durable ? 'durable' : 'transient', ...args].join(' ');
    const declared = q.declare ? '' : ' [not declared by the app: must exist]';
    lines.push(`  queue     ${q.name}  ${settings}  (${describeQueue(q)})${declared}`);
  }
  for (const b of plan.bindings) lines.push(`  binding   ${b.exchange} -> ${b.queue}  key ${JSON.stringify(b.routingKey)}  (${b.owner})`);
  lines.push(`  ${LADDER_NOTE}`);
  return `${lines.join('\n')}\n`;
}
