import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import { diffTopology } from './diffTopology.js';
import type { Observation, ObservedTopology } from './probeTopology.js';
import { bindingKey, planTopology } from './topologyPlan.js';

// q (bound to topic exchange ev with 'k'), q.dlq, q.retry.100; external queue ext (publisher limits).
const plan = planTopology(
  [resolveConsumerOptions('W', { queue: 'q', exchange: 'ev', routingKey: 'k', retry: { attempts: 2, delayMs: 100 } })],
  { limitQueues: ['ext'] },
);
const same: Observation = { state: 'exists', compared: true, differences: [], complete: true };
const BINDING = bindingKey('ev', 'q', 'k');

function observed(
  queues: Record<string, Observation> = {},
  exchanges: Record<string, Observation> = {},
  bindings: ObservedTopology['bindings'] = { present: new Set([BINDING]) },
): ObservedTopology {
  const all = (names: string[], given: Record<string, Observation>) => new Map(names.map((n) => [n, given[n] ?? same]));
  return {
    queues: all(
      plan.queues.map((q) => q.name),
      { ext: { state: 'exists', compared: false, differences: [], complete: true }, ...queues },
    ),
    exchanges: all(
      plan.exchanges.map((x) => x.name),
      exchanges,
    ),
    bindings,
  };
}

describe('diffTopology', () => {
  it('nothing to report when everything is there as declared; each compared name counts toward the configure permission', () => {
    const r = diffTopology(plan, observed());
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.notices, []);
    assert.equal(r.compared, 5, 'q, q.dlq, q.retry.100, ev, warren.cancel; not ext, which the app does not declare');
    assert.equal(r.bindingsVerified, 1);
  });

  it('a missing queue, and a missing queue the app does not declare, each say what to do', () => {
    const r = diffTopology(plan, observed({ 'q.retry.100': { state: 'missing' }, ext: { state: 'missing' } }));
    assert.deepEqual(
      r.differences.map((d) => [d.what, d.name, d.problem]),
      [
        ['queue', 'q.retry.100', 'missing'],
        ['queue', 'ext', 'missing'],
      ],
    );
    assert.match(r.differences[0]?.message ?? '', /retries of q after 100 ms.*warren topology --apply/);
    assert.match(r.differences[1]?.message ?? '', /does not declare it/);
  });

  it('a queue that differs lists every setting, as declared and as it is, and says when there may be more', () => {
    const differences = [
      { argument: 'x-queue-type', declared: null, actual: 'quorum' },
      { argument: 'x-max-length', declared: null, actual: 10 },
    ];
    const r = diffTopology(plan, observed({ q: { state: 'exists', compared: true, differences, complete: false } }));
    assert.equal(r.differences.length, 1);
    const d = r.differences[0];
    assert.equal(d?.problem, 'differs');
    assert.deepEqual(d?.arguments, differences);
    assert.equal(
      d?.detail,
      'x-queue-type: declared none (classic), exists as "quorum"; x-max-length: declared none, exists as 10; the broker may hold more differences',
    );
    assert.match(d?.message ?? '', /^queue "q" differs \(queue of W\)/);
  });

  it('a DLQ start keeps classic (an earlier Warren made it) is a notice, not a difference', () => {
    const r = diffTopology(
      plan,
      observed({ 'q.dlq': { state: 'exists', compared: true, differences: [], complete: true, keptClassic: true } }),
    );
    assert.deepEqual(r.differences, []);
    assert.match(r.notices.join(), /^queue "q.dlq" \(dead letters of q\) is classic, as an earlier Warren made it/);
  });

  it("a refusal (403) is reported with the broker's words", () => {
    const refused: Observation = {
      state: 'refused',
      code: 403,
      reason: "ACCESS_REFUSED - access to exchange 'ev' refused",
      differences: [],
    };
    const r = diffTopology(plan, observed({}, { ev: refused }));
    assert.deepEqual(
      r.differences.map((d) => [d.what, d.name, d.problem, d.detail]),
      [['exchange', 'ev', 'refused', "the broker refused to check it: ACCESS_REFUSED - access to exchange 'ev' refused"]],
    );
  });

  it('a missing binding is reported; a binding whose queue or exchange is missing goes with it', () => {
    const gone = diffTopology(plan, observed({}, {}, { present: new Set() }));
    assert.deepEqual(
      gone.differences.map((d) => [d.what, d.name, d.problem]),
      [['binding', 'ev -> q ("k")', 'missing']],
    );
    const withQueue = diffTopology(plan, observed({ q: { state: 'missing' } }, {}, { present: new Set() }));
    assert.deepEqual(
      withQueue.differences.map((d) => d.name),
      ['q'],
    );
  });

  it('bindings that cannot be listed are a notice, not a difference, and only when there is one to check', () => {
    const r = diffTopology(plan, observed({}, {}, { unavailable: 'rabbitmqctl is not installed on this machine' }));
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.notices, [
      '1 binding(s) not verified: AMQP cannot list bindings, and rabbitmqctl cannot here (rabbitmqctl is not installed on this machine)',
    ]);
    assert.deepEqual(diffTopology(plan, observed({ q: { state: 'missing' } }, {}, { unavailable: 'x' })).notices, []);
  });
});
