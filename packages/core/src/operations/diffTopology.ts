import type { ArgDifference } from './inequivalence.js';
import type { Observation, ObservedTopology } from './probeTopology.js';
import { bindingKey, type PlannedBinding, type PlannedQueue, type TopologyPlan } from './topologyPlan.js';

/** missing: not there; differs: there with other settings; refused: the broker would not let it be checked (403, 405). */
export type DifferenceProblem = 'missing' | 'differs' | 'refused';

export interface TopologyDifference {
  what: 'queue' | 'exchange' | 'binding';
  /** The queue or exchange; a binding as `exchange -> queue (key)`. */
  name: string;
  owner: string;
  problem: DifferenceProblem;
  /** differs: each setting that differs, as the app declares it and as the broker has it. */
  arguments: ArgDifference[];
  /** What is wrong, in short: the settings that differ, the broker's refusal, or why a missing one is not the app's to make. */
  detail: string;
  /** One line for a person: which, what is wrong, what to do. */
  message: string;
}

export interface TopologyReport {
  differences: TopologyDifference[];
  /** What could not be checked, and why. */
  notices: string[];
  /** Queues and exchanges whose settings a declare compared: each proves the configure permission on it. */
  compared: number;
  /** Bindings found present. */
  bindingsVerified: number;
}

/**
 * Compares the plan with what the broker has. A binding is reported only when its queue and
 * exchange are there: a missing queue's bindings go with it.
 */
export function diffTopology(plan: TopologyPlan, observed: ObservedTopology): TopologyReport {
  const differences: TopologyDifference[] = [];
  const notices: string[] = [];
  let compared = 0;
  for (const x of plan.exchanges) {
    const o = observed.exchanges.get(x.name) ?? { state: 'missing' };
    if (o.state === 'exists' && o.compared) compared++;
    const d = differenceOf('exchange', x.name, x.owner, o, `${x.type} exchange of ${x.owner}`, 'create');
    if (d !== undefined) differences.push(d);
  }
  for (const q of plan.queues) {
    const o = observed.queues.get(q.name) ?? { state: 'missing' };
    if (o.state === 'exists' && o.compared) compared++;
    const d = differenceOf('queue', q.name, q.owner, o, describeQueue(q), q.declare ? 'create' : missingAdvice(q));
    if (d !== undefined) differences.push(d);
    if (o.state === 'exists' && o.keptClassic === true) {
      notices.push(
        `queue "${q.name}" (${describeQueue(q)}) is classic, as an earlier Warren made it; ${q.owner} is quorum, and start keeps it ` +
          'as it is: once it is empty, delete it and the next start or `topology --apply` makes it quorum',
      );
    }
  }
  let bindingsVerified = 0;
  const checkable = plan.bindings.filter(
    (b) => observed.queues.get(b.queue)?.state === 'exists' && observed.exchanges.get(b.exchange)?.state === 'exists',
  );
  if ('unavailable' in observed.bindings) {
    if (checkable.length > 0) {
      notices.push(
        `${checkable.length} binding(s) not verified: AMQP cannot list bindings, and rabbitmqctl cannot here (${observed.bindings.unavailable})`,
      );
    }
  } else {
    for (const b of checkable) {
      if (observed.bindings.present.has(bindingKey(b.exchange, b.queue, b.routingKey))) bindingsVerified++;
      else differences.push(missingBinding(b));
    }
  }
  return { differences, notices, compared, bindingsVerified };
}

function differenceOf(
  what: 'queue' | 'exchange',
  name: string,
  owner: string,
  o: Observation,
  role: string,
  whenMissing: 'create' | string,
): TopologyDifference | undefined {
  const base = { what, name, owner };
  if (o.state === 'missing') {
    const detail = whenMissing === 'create' ? 'not there' : whenMissing;
    const advice = whenMissing === 'create' ? ': `warren topology --apply` declares it' : `: ${whenMissing}`;
    return { ...base, problem: 'missing', arguments: [], detail, message: `${what} "${name}" is missing (${role})${advice}` };
  }
  if (o.state === 'refused') {
    const detail = `the broker refused to check it: ${o.reason}`;
    return { ...base, problem: 'refused', arguments: o.differences, detail, message: `${what} "${name}" (${role}): ${detail}` };
  }
  if (o.differences.length === 0 && o.complete) return undefined;
  const listed = o.differences.map(describeArg).join('; ');
  const detail = `${listed}${o.complete ? '' : `${listed === '' ? '' : '; '}the broker may hold more differences`}`;
  return {
    ...base,
    problem: 'differs',
    arguments: o.differences,
    detail,
    message:
      `${what} "${name}" differs (${role}): ${detail}. ` +
      `\`warren start\` would fail on it: change the app to match, or delete the ${what} (move its messages first) and apply`,
  };
}

function missingBinding(b: PlannedBinding): TopologyDifference {
  return {
    what: 'binding',
    name: `${b.exchange} -> ${b.queue} (${JSON.stringify(b.routingKey)})`,
    owner: b.owner,
    problem: 'missing',
    arguments: [],
    detail: 'not there',
    message: `binding of queue "${b.queue}" to exchange "${b.exchange}" with key ${JSON.stringify(b.routingKey)} is missing (${b.owner}): \`warren topology --apply\` binds it`,
  };
}

export function describeQueue(q: PlannedQueue): string {
  if (q.role === 'work') return `queue of ${q.owner}`;
  if (q.role === 'dead-letter') return `dead letters of ${q.of}`;
  if (q.role === 'retry') return `retries of ${q.of} after ${q.delayMs} ms`;
  return 'a queue the publisher has limits on';
}

function missingAdvice(q: PlannedQueue): string {
  if (q.role === 'external') return 'the app publishes to it with a limit but does not declare it; the app that consumes it should';
  return `${q.owner} has declare: false, so it must be created elsewhere`;
}

/** `x-queue-type: declared none (classic), exists as "quorum"`. */
export function describeArg(d: ArgDifference): string {
  return `${d.argument}: declared ${showValue(d.argument, d.declared)}, exists as ${showValue(d.argument, d.actual)}`;
}

function showValue(argument: string, value: unknown): string {
  if (value === null || value === undefined) return argument === 'x-queue-type' ? 'none (classic)' : 'none';
  return JSON.stringify(value);
}
