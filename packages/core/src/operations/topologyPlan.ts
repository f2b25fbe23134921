import { ConfigError } from '../errors/WarrenError.js';
import { CANCEL_EXCHANGE } from '../message/headers.js';
import type { ExchangeType } from '../options/ConsumerOptions.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import { deadLetterQueueArguments, retryQueueArguments, workQueueArguments } from '../topology/declareConsumerTopology.js';
import { deadLetterQueueName, retryQueueName } from '../topology/names.js';

/**
 * work: a consumer's queue; dead-letter: its `<queue>.dlq`; retry: a delay queue of a configured
 * delay; external: a queue the app publishes to with a `limits` mark but does not declare.
 */
export type PlannedQueueRole = 'work' | 'dead-letter' | 'retry' | 'external';

export interface PlannedQueue {
  name: string;
  role: PlannedQueueRole;
  /** Who needs it: the consumer's name(s), or `publisher limits`. */
  owner: string;
  /** Warren declares it at start; false: it only has to exist (`declare: false`, or an external queue). */
  declare: boolean;
  durable: boolean;
  arguments: Record<string, unknown>;
  /** retry: the delay; dead-letter and retry: the work queue they belong to. */
  delayMs?: number;
  of?: string;
  /**
   * A quorum consumer's DLQ or delay queue that an earlier Warren made classic, with these
   * arguments, is kept as it is by start (it may hold messages): found so, a notice, not a difference.
   */
  keptIfClassic?: Record<string, unknown>;
}

export interface PlannedExchange {
  name: string;
  type: ExchangeType;
  durable: boolean;
  owner: string;
}

export interface PlannedBinding {
  exchange: string;
  queue: string;
  routingKey: string;
  owner: string;
}

/** Everything an app declares at start (and the queues it needs that it does not), in declaration order. */
export interface TopologyPlan {
  exchanges: PlannedExchange[];
  queues: PlannedQueue[];
  bindings: PlannedBinding[];
}

/** Every app declares it: a caller that gives up on a request says so there (request cancel notices). */
const CANCEL_OWNER = 'warren (request cancel notices)';

/**
 * What `warren start` would declare for these consumers, as data: the same arguments as
 * `declareConsumerTopology` (a unit test holds the two together). Retry queues are the configured
 * delays only: a `RetryLater` with another delay waits in a ladder step's queue declared on first
 * use, so listing all 18 steps would have `--apply` make idle durable queues, and `check` report
 * queues a healthy app never needed. A name planned twice with other settings (two consumers
 * binding one exchange as different types) is a ConfigError: start would fail on it with a 406.
 */
export function planTopology(
  consumers: readonly ResolvedConsumerOptions[],
  options: { limitQueues?: readonly string[] } = {},
): TopologyPlan {
  const plan = new PlanBuilder();
  for (const o of consumers) {
    const { queue: q, name } = o;
    if (!o.declare) {
      // start only checks that it exists: no DLQ, retry queues or bindings of its own.
      plan.queue({ name: q, role: 'work', owner: name, declare: false, durable: o.durable, arguments: {} });
      continue;
    }
    if (o.exchange !== undefined) plan.exchange({ ...o.exchange, owner: name });
    const legacy = (args: Record<string, unknown>) => (o.queueType === 'quorum' ? { keptIfClassic: args } : {});
    if (o.deadLetter) {
      plan.queue({
        name: deadLetterQueueName(q),
        role: 'dead-letter',
        owner: name,
        declare: true,
        durable: true,
        arguments: deadLetterQueueArguments(o.queueType),
        of: q,
        ...legacy(deadLetterQueueArguments('classic')),
      });
    }
    plan.queue({ name: q, role: 'work', owner: name, declare: true, durable: o.durable, arguments: workQueueArguments(o) });
    for (const delayMs of new Set(o.retry.delaysMs)) {
      plan.queue({
        name: retryQueueName(q, delayMs),
        role: 'retry',
        owner: name,
        declare: true,
        durable: true,
        arguments: retryQueueArguments(q, delayMs, o.queueType),
        delayMs,
        of: q,
        ...legacy(retryQueueArguments(q, delayMs, 'classic')),
      });
    }
    if (o.exchange !== undefined) {
      for (const routingKey of o.routingKeys) plan.binding({ exchange: o.exchange.name, queue: q, routingKey, owner: name });
    }
  }
  plan.exchange({ name: CANCEL_EXCHANGE, type: 'fanout', durable: true, owner: CANCEL_OWNER });
  for (const name of options.limitQueues ?? []) {
    if (!plan.hasQueue(name)) {
      plan.queue({ name, role: 'external', owner: 'publisher limits', declare: false, durable: true, arguments: {} });
    }
  }
  return plan.done();
}

class PlanBuilder {
  readonly #queues = new Map<string, PlannedQueue>();
  readonly #exchanges = new Map<string, PlannedExchange>();
  readonly #bindings = new Map<string, PlannedBinding>();

  hasQueue(name: string): boolean {
    return this.#queues.has(name);
  }

  queue(q: PlannedQueue): void {
    // One consumer may consume another's DLQ: one queue, two owners, as long as the declares agree.
    const seen = this.#queues.get(q.name);
    if (seen === undefined) this.#queues.set(q.name, q);
    else if (!q.declare || (seen.declare && sameSettings(seen, q, ['durable', 'arguments']))) seen.owner = joinOwners(seen.owner, q.owner);
    else if (!seen.declare) this.#queues.set(q.name, { ...q, owner: joinOwners(seen.owner, q.owner) });
    else throw conflict('queue', q.name, seen.owner, q.owner);
  }

  exchange(x: PlannedExchange): void {
    const seen = this.#exchanges.get(x.name);
    if (seen === undefined) this.#exchanges.set(x.name, { name: x.name, type: x.type, durable: x.durable, owner: x.owner });
    else if (sameSettings(seen, x, ['type', 'durable'])) seen.owner = joinOwners(seen.owner, x.owner);
    else throw conflict('exchange', x.name, seen.owner, x.owner);
  }

  binding(b: PlannedBinding): void {
    const key = bindingKey(b.exchange, b.queue, b.routingKey);
    const seen = this.#bindings.get(key);
    if (seen === undefined) this.#bindings.set(key, b);
    else seen.owner = joinOwners(seen.owner, b.owner);
  }

  done(): TopologyPlan {
    return { exchanges: [...this.#exchanges.values()], queues: [...this.#queues.values()], bindings: [...this.#bindings.values()] };
  }
}

/** One string per binding, for sets: exchange, queue and key cannot hold a NUL. */
export function bindingKey(exchange: string, queue: string, routingKey: string): string {
  return `${exchange}\u0000${queue}\u0000${routingKey}`;
}

function sameSettings<T extends object>(a: T, b: T, keys: ReadonlyArray<keyof T>): boolean {
  return keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

function joinOwners(a: string, b: string): string {
  return a.split(', ').includes(b) ? a : `${a}, ${b}`;
}

function conflict(what: string, name: string, first: string, second: string): ConfigError {
  return new ConfigError(
    `${what} "${name}" is declared with other settings by ${second} than by ${first}: the broker would refuse the second declare (406)`,
  );
}
