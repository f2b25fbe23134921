import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { isRefusal, onOwnChannel, type Refusal } from './brokerReplies.js';
import { type ArgDifference, adoptCurrent, type DeclareSettings, parseInequivalence } from './inequivalence.js';
import { type BrokerView, readLocalBroker } from './localBroker.js';
import type { PlannedExchange, PlannedQueue, TopologyPlan } from './topologyPlan.js';

/** What the broker has of one planned queue or exchange. */
export type Observation =
  | { state: 'missing' }
  | {
      state: 'exists';
      /** Queues: ready messages and consumers at the passive declare. */
      ready?: number;
      consumers?: number;
      /** Whether its settings were compared (by a declare, which needs configure permission); not for queues the app does not declare. */
      compared: boolean;
      differences: ArgDifference[];
      /** False: the probe stopped early (a value it cannot send back); the broker may hold more differences. */
      complete: boolean;
      /** A quorum consumer's DLQ or delay queue found classic, as an earlier Warren made it: start keeps it. */
      keptClassic?: boolean;
    }
  | { state: 'refused'; code: number; reason: string; differences: ArgDifference[] };

export interface ObservedTopology {
  queues: Map<string, Observation>;
  exchanges: Map<string, Observation>;
  /** The bindings that exist, or why they cannot be listed (AMQP has no way to). */
  bindings: { present: ReadonlySet<string> } | { unavailable: string };
}

/** The broker names one inequivalent setting per refusal; it compares about fifteen, so this bounds the probes of one name. */
const MAX_PROBES = 20;

/**
 * Finds out, without changing anything, whether each planned queue and exchange exists and
 * whether its settings match: a passive declare (404: missing), then, when it exists, a declare
 * with the app's settings, which the broker accepts as a no-op when they are equivalent and
 * refuses with 406 naming the first that is not. Each refusal is read, the broker's value adopted,
 * and the declare sent again, until it is accepted: every difference the broker checks is listed,
 * not only the first. Each call has its own channel (a refusal closes it). Without the management
 * API, bindings are read with `rabbitmqctl` for a broker on this machine, else not at all.
 *
 * Two limits: a queue deleted between the passive declare and the next one would be created by it
 * (one round trip's window), and a declare counts as a use of a queue with `x-expires`.
 */
export async function observeTopology(
  connection: ConnectionManager,
  plan: TopologyPlan,
  local: () => Promise<BrokerView> = () => readLocalBroker(connection.brokerAddress, { bindings: true }),
): Promise<ObservedTopology> {
  const exchanges = new Map<string, Observation>();
  for (const x of plan.exchanges) exchanges.set(x.name, await probeExchange(connection, x));
  const queues = new Map<string, Observation>();
  for (const q of plan.queues) queues.set(q.name, await probeQueue(connection, q));
  // A binding can only exist between a queue and an exchange that do: when none has both, every
  // one is missing, and rabbitmqctl (a second or more) need not be asked.
  const possible = plan.bindings.some((b) => queues.get(b.queue)?.state === 'exists' && exchanges.get(b.exchange)?.state === 'exists');
  return { queues, exchanges, bindings: possible ? bindingsSeen(await local(), queues) : { present: new Set() } };
}

async function probeQueue(connection: ConnectionManager, q: PlannedQueue): Promise<Observation> {
  const found = await onOwnChannel(connection, (ch) => ch.checkQueue(q.name));
  if (isRefusal(found)) return absentOrRefused(found);
  const counts = { ready: found.messageCount, consumers: found.consumerCount };
  if (!q.declare) return { state: 'exists', ...counts, compared: false, differences: [], complete: true };
  const declare = (s: DeclareSettings) => onOwnChannel(connection, (ch) => ch.assertQueue(q.name, s));
  const seen = await compare({ durable: q.durable, autoDelete: false, arguments: q.arguments }, declare);
  if (seen.state === 'exists' && seen.differences.length > 0 && q.keptIfClassic !== undefined) {
    // As start does (topology/auxiliaryQueues.ts): a classic one an earlier Warren made is kept, not refused.
    const classic = await compare({ durable: q.durable, autoDelete: false, arguments: q.keptIfClassic }, declare);
    if (classic.state === 'exists' && classic.differences.length === 0) return { ...counts, ...classic, keptClassic: true };
  }
  return { ...counts, ...seen };
}

async function probeExchange(connection: ConnectionManager, x: PlannedExchange): Promise<Observation> {
  const found = await onOwnChannel(connection, (ch) => ch.checkExchange(x.name));
  if (isRefusal(found)) return absentOrRefused(found);
  const settings: DeclareSettings = { durable: x.durable, autoDelete: false, internal: false, type: x.type, arguments: {} };
  return compare(settings, (s) => onOwnChannel(connection, (ch) => ch.assertExchange(x.name, s.type ?? x.type, s)));
}

function absentOrRefused(refusal: Refusal): Observation {
  if (refusal.code === 404) return { state: 'missing' };
  return { state: 'refused', code: refusal.code, reason: refusal.text, differences: [] };
}

/** Declares with `settings` until the broker accepts, collecting what it refuses on the way. */
async function compare(settings: DeclareSettings, declare: (s: DeclareSettings) => Promise<unknown>): Promise<Observation> {
  const differences: ArgDifference[] = [];
  let current = settings;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const answer = await declare(current);
    if (!isRefusal(answer)) return { state: 'exists', compared: true, differences, complete: true };
    const ineq = answer.code === 406 ? parseInequivalence(answer.text) : undefined;
    if (ineq === undefined) return { state: 'refused', code: answer.code, reason: answer.text, differences };
    const { difference, next } = adoptCurrent(current, ineq);
    // Each adoption changes only the setting named, so `declared` is still the app's own value.
    differences.push(difference);
    if (next === undefined) break;
    current = next;
  }
  return { state: 'exists', compared: true, differences, complete: false };
}

/**
 * The bindings rabbitmqctl listed, if it speaks to the same broker: every queue found over AMQP
 * has its default-exchange binding in its list (a local rabbitmqctl may serve another node than
 * the URL's, say a container's).
 */
function bindingsSeen(view: BrokerView, queues: ReadonlyMap<string, Observation>): ObservedTopology['bindings'] {
  if (view.bindings === undefined) return { unavailable: view.unavailable ?? 'not asked' };
  const destinations = new Set([...view.bindings].map((key) => key.split('\u0000')[1]));
  for (const [name, o] of queues) {
    if (o.state === 'exists' && !destinations.has(name)) {
      return { unavailable: `the local rabbitmqctl speaks to another broker than the URL's (it does not list queue "${name}")` };
    }
  }
  return { present: view.bindings };
}
