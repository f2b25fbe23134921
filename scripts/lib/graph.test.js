// Unit tests of check-layers.js's graph search (`npm run test:unit`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cyclicComponents, shortestCycle } from './graph.js';

/** A graph from 'a>b' pairs. */
function graph(...pairs) {
  const edges = new Map();
  for (const pair of pairs) {
    const [from, to] = pair.split('>');
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.has(to)) edges.set(to, new Map());
    edges.get(from).set(to, pair);
  }
  return edges;
}

const sorted = (components) => components.map((c) => [...c].sort()).sort((x, y) => x[0].localeCompare(y[0]));

test('a graph without a cycle has no cyclic component', () => {
  assert.deepEqual(cyclicComponents(graph('a>b', 'b>c', 'a>c', 'c>d')), []);
});

test('each cycle is one component; nodes on no cycle are in none', () => {
  const edges = graph('a>b', 'b>a', 'b>c', 'c>d', 'd>e', 'e>c', 'e>f');
  assert.deepEqual(sorted(cyclicComponents(edges)), [
    ['a', 'b'],
    ['c', 'd', 'e'],
  ]);
});

test('the shortest cycle of a component ends where it starts and follows its edges', () => {
  // a>b>c>d>a is a cycle of four; b>c>b one of two inside the same component.
  const edges = graph('a>b', 'b>c', 'c>d', 'd>a', 'c>b');
  const [component] = cyclicComponents(edges);
  const cycle = shortestCycle(edges, component);
  assert.equal(cycle.length, 3, `a two-step cycle, got ${cycle.join(' -> ')}`);
  assert.equal(cycle[0], cycle.at(-1));
  assert.deepEqual(new Set(cycle), new Set(['b', 'c']));
  for (let i = 0; i + 1 < cycle.length; i++) assert.ok(edges.get(cycle[i]).has(cycle[i + 1]), `${cycle[i]} -> ${cycle[i + 1]} is an edge`);
});

test('nodes that only lead into or out of a cycle are not in its component', () => {
  // x reaches the cycle a>b>a but nothing reaches x back: it is on no cycle.
  const edges = graph('x>a', 'a>b', 'b>a', 'b>x2');
  const components = cyclicComponents(edges);
  assert.deepEqual(sorted(components), [['a', 'b']]);
  assert.deepEqual(new Set(shortestCycle(edges, components[0])), new Set(['a', 'b']));
});
