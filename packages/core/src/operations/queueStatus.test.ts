import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import { parseBindingRows, parseQueueRows } from './localBroker.js';
import { netRate, type QueueSample, statusRows } from './queueStatus.js';
import { bindingKey, planTopology } from './topologyPlan.js';

const plan = planTopology([resolveConsumerOptions('W', { queue: 'q', retry: { attempts: 2, delayMs: 1000 } })], { limitQueues: ['next'] });
const at = (ready: number, ms: number, consumers = 1): QueueSample => ({ ready, consumers, at: 1_000_000 + ms });

describe('statusRows', () => {
  it('ready and consumers from the later sample, the net rate from both, retries summed over configured and ladder queues', () => {
    const rows = statusRows(
      plan,
      {
        first: new Map([
          ['q', at(100, 0)],
          ['next', at(5, 0, 0)],
        ]),
        second: new Map([
          ['q', at(70, 1500, 2)],
          ['next', at(5, 1500, 0)],
        ]),
        // q.retry.1000 is configured; q.retry.30000 is a RetryLater ladder step that exists.
        aux: new Map([
          ['q.dlq', at(3, 0, 0)],
          ['q.retry.1000', at(4, 0, 0)],
          ['q.retry.30000', at(6, 0, 0)],
        ]),
      },
      new Map([['q', { ready: 70, unacked: 8, consumers: 2 }]]),
    );
    assert.deepEqual(rows, [
      {
        queue: 'q',
        role: 'work',
        owner: 'W',
        exists: true,
        ready: 70,
        unacked: 8,
        consumers: 2,
        readyPerSec: -20,
        retrying: 10,
        deadLetters: 3,
      },
      {
        queue: 'next',
        role: 'external',
        owner: 'publisher limits',
        exists: true,
        ready: 5,
        unacked: null,
        consumers: 0,
        readyPerSec: 0,
        retrying: null,
        deadLetters: null,
      },
    ]);
  });

  it('a missing queue has no numbers; without rabbitmqctl, unacked is null; one sample gives no rate', () => {
    const one = new Map([['q', at(1, 0)]]);
    const [q, next] = statusRows(plan, { first: one, second: one, aux: new Map() }, undefined);
    assert.deepEqual([q?.exists, q?.ready, q?.unacked, q?.readyPerSec, q?.retrying, q?.deadLetters], [true, 1, null, null, null, null]);
    assert.deepEqual([next?.exists, next?.ready, next?.consumers], [false, null, null]);
  });

  it('netRate: messages per second to one decimal, either way', () => {
    assert.equal(netRate(at(0, 0), at(10, 1000)), 10);
    assert.equal(netRate(at(10, 0), at(0, 3000)), -3.3);
  });
});

describe("rabbitmqctl's JSON", () => {
  it('bindings to queues, default exchange included; exchange-to-exchange bindings left out', () => {
    const text = `[
{"source_name":"","source_kind":"exchange","destination_name":"q","destination_kind":"queue","routing_key":"q","arguments":[]},
{"source_name":"ev","source_kind":"exchange","destination_name":"q","destination_kind":"queue","routing_key":"k","arguments":[]},
{"source_name":"ev","source_kind":"exchange","destination_name":"other","destination_kind":"exchange","routing_key":"#","arguments":[]}
]`;
    assert.deepEqual([...parseBindingRows(text)], [bindingKey('', 'q', 'q'), bindingKey('ev', 'q', 'k')]);
    assert.deepEqual([...parseBindingRows('')], []);
  });

  it('queue counters', () => {
    const text = '[\n{"name":"q","messages_ready":40,"messages_unacknowledged":3,"consumers":1}\n]\n';
    assert.deepEqual([...parseQueueRows(text)], [['q', { ready: 40, unacked: 3, consumers: 1 }]]);
  });
});
