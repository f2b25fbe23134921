import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from 'amqplib';
import { ConfigError } from '../errors/WarrenError.js';
import type { ConsumerOptions } from '../options/ConsumerOptions.js';
import { resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import { declareConsumerTopology } from '../topology/declareConsumerTopology.js';
import { planTopology, type TopologyPlan } from './topologyPlan.js';

const resolve = (name: string, o: ConsumerOptions) => resolveConsumerOptions(name, o);
const cancel = { name: 'warren.cancel', type: 'fanout', durable: true, owner: 'warren (request cancel notices)' };

describe('planTopology', () => {
  it('lists exchange, DLQ, work queue, one retry queue per distinct delay and the bindings, with their arguments', () => {
    const plan = planTopology([
      resolve('Orders', { queue: 'o', exchange: 'shop', routingKey: ['a.*', 'b.*'], retry: { attempts: 4, delayMs: [200, 1000, 200] } }),
    ]);
    assert.deepEqual(plan, {
      exchanges: [{ name: 'shop', type: 'topic', durable: true, owner: 'Orders' }, cancel],
      queues: [
        { name: 'o.dlq', role: 'dead-letter', owner: 'Orders', declare: true, durable: true, arguments: {}, of: 'o' },
        {
          name: 'o',
          role: 'work',
          owner: 'Orders',
          declare: true,
          durable: true,
          arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'o.dlq' },
        },
        ...[200, 1000].map((delayMs) => ({
          name: `o.retry.${delayMs}`,
          role: 'retry',
          owner: 'Orders',
          declare: true,
          durable: true,
          arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'o' },
          delayMs,
          of: 'o',
        })),
      ],
      bindings: [
        { exchange: 'shop', queue: 'o', routingKey: 'a.*', owner: 'Orders' },
        { exchange: 'shop', queue: 'o', routingKey: 'b.*', owner: 'Orders' },
      ],
    });
  });

  it('a quorum queue carries its type and delivery limit; deadLetter: false has no DLQ and no dead-letter arguments', () => {
    const plan = planTopology([resolve('Q', { queue: 'q', queueType: 'quorum', deadLetter: false, arguments: { 'x-max-length': 10 } })]);
    assert.deepEqual(
      plan.queues.map((q) => [q.name, q.arguments]),
      [['q', { 'x-max-length': 10, 'x-queue-type': 'quorum', 'x-delivery-limit': 5 }]],
    );
  });

  it("a quorum consumer's DLQ and delay queues are quorum; the classic ones an earlier Warren made are kept, so accepted", () => {
    const [dlq, , retry] = planTopology([resolve('Q', { queue: 'q', queueType: 'quorum', retry: { attempts: 2, delayMs: 50 } })]).queues;
    assert.deepEqual([dlq?.arguments, dlq?.keptIfClassic], [{ 'x-queue-type': 'quorum' }, {}]);
    assert.equal(retry?.arguments['x-queue-type'], 'quorum');
    assert.deepEqual(retry?.keptIfClassic, { 'x-message-ttl': 50, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q' });
    assert.equal(planTopology([resolve('C', { queue: 'c' })]).queues[0]?.keptIfClassic, undefined);
  });

  it('declare: false plans only the queue, to be found, as start does; limits targets the app does not consume are external', () => {
    const plan = planTopology([resolve('Given', { queue: 'given', declare: false, exchange: 'x' }), resolve('Mine', { queue: 'mine' })], {
      limitQueues: ['mine', 'elsewhere'],
    });
    assert.deepEqual(
      plan.queues.map((q) => [q.name, q.role, q.declare]),
      [
        ['given', 'work', false],
        ['mine.dlq', 'dead-letter', true],
        ['mine', 'work', true],
        ['elsewhere', 'external', false],
      ],
    );
    assert.deepEqual(plan.exchanges, [cancel]);
    assert.deepEqual(plan.bindings, []);
  });

  it("one consumer may consume another's DLQ: one queue, both owners; an exchange shared alike is listed once", () => {
    const plan = planTopology([
      resolve('A', { queue: 'a', exchange: 'ev' }),
      resolve('B', { queue: 'a.dlq', deadLetter: false, exchange: 'ev', routingKey: 'x' }),
    ]);
    assert.deepEqual(
      plan.queues.map((q) => [q.name, q.owner]),
      [
        ['a.dlq', 'A, B'],
        ['a', 'A'],
      ],
    );
    assert.deepEqual(
      plan.exchanges.map((x) => [x.name, x.owner]),
      [
        ['ev', 'A, B'],
        ['warren.cancel', 'warren (request cancel notices)'],
      ],
    );
  });

  it('refuses what the broker would refuse at start: one exchange of two types, one queue with two sets of arguments', () => {
    assert.throws(
      () =>
        planTopology([
          resolve('A', { queue: 'a', exchange: 'ev' }),
          resolve('B', { queue: 'b', exchange: { name: 'ev', type: 'direct' } }),
        ]),
      (e: unknown) => e instanceof ConfigError && /exchange "ev" .* by B than by A/.test(e.message),
    );
    assert.throws(
      () => planTopology([resolve('A', { queue: 'a' }), resolve('B', { queue: 'a.dlq', arguments: { 'x-max-length': 1 } })]),
      (e: unknown) => e instanceof ConfigError && /queue "a.dlq"/.test(e.message),
    );
  });

  it('matches what declareConsumerTopology sends, call for call', async () => {
    for (const o of [
      { queue: 'w', exchange: { name: 'e', type: 'direct' as const }, routingKey: 'k', retry: { attempts: 3, delayMs: [5, 7] } },
      {
        queue: 'w',
        queueType: 'quorum' as const,
        arguments: { 'x-max-length': 3 },
        redeliveryLimit: 2,
        retry: { attempts: 2, delayMs: 9 },
        singleActiveConsumer: true,
      },
      { queue: 'w', durable: false, deadLetter: false },
    ]) {
      const options = resolve('W', o);
      const sent = await recordDeclares(options);
      assert.deepEqual(sent, fromPlan(planTopology([options])), JSON.stringify(o));
    }
  });
});

type Call = [string, ...unknown[]];

async function recordDeclares(options: ReturnType<typeof resolve>): Promise<Call[]> {
  const calls: Call[] = [];
  const channel = {
    assertExchange: async (name: string, type: string, o: { durable: boolean }) => void calls.push(['exchange', name, type, o.durable]),
    assertQueue: async (name: string, o: { durable: boolean; arguments?: Record<string, unknown> }) =>
      void calls.push(['queue', name, o.durable, o.arguments ?? {}]),
    bindQueue: async (queue: string, exchange: string, key: string) => void calls.push(['bind', exchange, queue, key]),
  } as unknown as Channel;
  await declareConsumerTopology(channel, options);
  return calls;
}

/** The plan as the same calls; warren.cancel is the app's, not the consumer's. */
function fromPlan(plan: TopologyPlan): Call[] {
  return [
    ...plan.exchanges.filter((x) => x.name !== 'warren.cancel').map((x): Call => ['exchange', x.name, x.type, x.durable]),
    ...plan.queues.map((q): Call => ['queue', q.name, q.durable, q.arguments]),
    ...plan.bindings.map((b): Call => ['bind', b.exchange, b.queue, b.routingKey]),
  ];
}
