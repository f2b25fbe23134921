import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shuffled } from './shuffle.js';

test('a shuffle keeps every item once and leaves its input alone', () => {
  const input = ['a', 'b', 'c', 'd'];
  const out = shuffled(input);
  assert.deepEqual([...out].sort(), input);
  assert.deepEqual(input, ['a', 'b', 'c', 'd']);
  assert.deepEqual(shuffled([]), []);
});

test('each of three URLs comes first about a third of the time (workers spread over the nodes)', () => {
  const first = new Map<string, number>();
  const runs = 30_000;
  for (let i = 0; i < runs; i++) {
    const head = shuffled(['n1', 'n2', 'n3'])[0] as string;
    first.set(head, (first.get(head) ?? 0) + 1);
  }
  for (const n of ['n1', 'n2', 'n3']) {
    const share = (first.get(n) ?? 0) / runs;
    assert.ok(Math.abs(share - 1 / 3) < 0.02, `${n} first in ${(share * 100).toFixed(1)} % of runs`);
  }
});

test('all six orders of three come out equally often (the sort trick does not)', () => {
  const orders = new Map<string, number>();
  const runs = 60_000;
  for (let i = 0; i < runs; i++) {
    const key = shuffled([1, 2, 3]).join('');
    orders.set(key, (orders.get(key) ?? 0) + 1);
  }
  assert.equal(orders.size, 6);
  for (const [order, n] of orders) assert.ok(Math.abs(n / runs - 1 / 6) < 0.01, `${order}: ${n}`);
});
