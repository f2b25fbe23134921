import { CANCEL_EXCHANGE } from '../message/headers.js';
import type { TopologyPlan } from './topologyPlan.js';

export type Permission = 'configure' | 'write' | 'read';

/** One permission the app needs on one queue or exchange (RabbitMQ's access control: https://www.rabbitmq.com/docs/access-control). */
export interface PermissionNeed {
  permission: Permission;
  kind: 'queue' | 'exchange';
  /** The resource's name; with `pattern`, a regular expression (server-named queues). */
  name: string;
  pattern?: true;
  why: string;
  /** Without it the app still runs, losing what `why` says (request cancel notices): a note, not a failure. */
  optional?: true;
}

/** The default exchange, as RabbitMQ's permissions call it: sending to a queue by name is a write to it. */
export const DEFAULT_EXCHANGE = 'amq.default';

/**
 * What the app's user needs, per resource, for the topology `plan`: the declares (configure; a
 * queue declared with a dead-letter exchange also needs read on itself and write on that
 * exchange, as RabbitMQ checks both), consuming (read), binding (write on the queue, read on the
 * exchange), retries, dead letters and replies (all sent by queue name through the default
 * exchange: write on amq.default), and request cancel notices (the warren.cancel exchange and a
 * server-named amq.gen-* queue, optional). What the app's own handlers publish to is not known
 * here: add write on those exchanges.
 */
export function permissionNeeds(plan: TopologyPlan): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const add = (need: PermissionNeed): void => {
    if (!needs.some((n) => n.permission === need.permission && n.kind === need.kind && n.name === need.name)) needs.push(need);
  };
  for (const q of plan.queues) {
    if (q.declare) add({ permission: 'configure', kind: 'queue', name: q.name, why: `declared at start (${q.owner})` });
    if (q.role === 'work') add({ permission: 'read', kind: 'queue', name: q.name, why: `consumed (${q.owner})` });
    if (q.declare && 'x-dead-letter-exchange' in q.arguments) {
      add({ permission: 'read', kind: 'queue', name: q.name, why: 'declared with a dead-letter exchange (the broker checks read on it)' });
    }
  }
  for (const x of plan.exchanges) {
    const cancel = x.name === CANCEL_EXCHANGE;
    add({
      permission: 'configure',
      kind: 'exchange',
      name: x.name,
      why: `declared at start (${x.owner})`,
      ...(cancel ? { optional: true as const } : {}),
    });
  }
  for (const b of plan.bindings) {
    add({ permission: 'write', kind: 'queue', name: b.queue, why: `bound to ${b.exchange} (${b.owner})` });
    add({ permission: 'read', kind: 'exchange', name: b.exchange, why: `${b.queue} is bound to it (${b.owner})` });
  }
  add({
    permission: 'write',
    kind: 'exchange',
    name: DEFAULT_EXCHANGE,
    why: 'retries, dead letters, replies and send() go to queues by name',
  });
  if (plan.exchanges.some((x) => x.name === CANCEL_EXCHANGE)) {
    const why = 'request cancel notices (without: a cancelled request runs to its deadline)';
    add({ permission: 'write', kind: 'exchange', name: CANCEL_EXCHANGE, why, optional: true });
    add({ permission: 'read', kind: 'exchange', name: CANCEL_EXCHANGE, why, optional: true });
    for (const permission of ['configure', 'write', 'read'] as const) {
      add({ permission, kind: 'queue', name: 'amq\\.gen-.*', pattern: true, why, optional: true });
    }
  }
  return needs;
}

/**
 * One regular expression per permission that grants exactly what `needs` lists (and nothing
 * more), for `rabbitmqctl set_permissions -p <vhost> <user> <configure> <write> <read>`. A
 * permission nothing needs is `^$`. Queue and exchange names share one namespace in a pattern.
 */
export function permissionPatterns(needs: readonly PermissionNeed[]): Record<Permission, string> {
  const pattern = (permission: Permission): string => {
    const names = [...new Set(needs.filter((n) => n.permission === permission).map((n) => (n.pattern ? n.name : escapeRegExp(n.name))))];
    return names.length === 0 ? '^$' : `^(${names.join('|')})$`;
  };
  return { configure: pattern('configure'), write: pattern('write'), read: pattern('read') };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
