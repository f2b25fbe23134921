import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permissionNeeds, permissionPatterns } from './permissionNeeds.js';
import type { TopologyPlan } from './topologyPlan.js';

const plan: TopologyPlan = {
  exchanges: [{ name: 'orders.x', type: 'topic', durable: true, owner: 'Orders' }],
  queues: [
    { name: 'orders.dlq', role: 'dead-letter', owner: 'Orders', declare: true, durable: true, arguments: {} },
    { name: 'orders', role: 'work', owner: 'Orders', declare: true, durable: true, arguments: { 'x-dead-letter-exchange': '' } },
    { name: 'billing', role: 'work', owner: 'Billing', declare: false, durable: true, arguments: {} },
  ],
  bindings: [{ exchange: 'orders.x', queue: 'orders', routingKey: 'order.*', owner: 'Orders' }],
};

test('configure what is declared, read what is consumed or bound from, write what is bound and amq.default', () => {
  const needs = permissionNeeds(plan);
  const list = (p: string) => needs.filter((n) => n.permission === p && n.optional !== true).map((n) => `${n.kind} ${n.name}`);
  assert.deepEqual(list('configure'), ['queue orders.dlq', 'queue orders', 'exchange orders.x']);
  assert.deepEqual(list('write'), ['queue orders', 'exchange amq.default']);
  assert.deepEqual(list('read'), ['queue orders', 'queue billing', 'exchange orders.x']);
  assert.deepEqual(permissionPatterns(needs), {
    configure: '^(orders\\.dlq|orders|orders\\.x)$',
    write: '^(orders|amq\\.default)$',
    read: '^(orders|billing|orders\\.x)$',
  });
  const cancel = permissionNeeds({
    ...plan,
    exchanges: [...plan.exchanges, { name: 'warren.cancel', type: 'fanout', durable: true, owner: 'warren' }],
  });
  assert.ok(cancel.filter((n) => n.name === 'warren.cancel' || n.pattern).every((n) => n.optional === true));
  assert.match(permissionPatterns(cancel).read, /\|warren\\\.cancel\|amq\\\.gen-\.\*\)\$$/);
});
