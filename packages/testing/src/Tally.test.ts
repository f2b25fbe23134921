import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tally } from './Tally.js';

test('counts every handling, the expected ids never seen, and the handlings beyond the first', () => {
  const tally = new Tally();
  for (const id of ['a', 'b', 'b', 'c', 'c', 'c']) tally.add(id);
  assert.equal(tally.total, 6);
  assert.deepEqual(tally.missing(['a', 'b', 'c', 'd', 'e']), ['d', 'e']);
  assert.equal(tally.duplicates(), 3);
});

test('an empty tally misses everything and has no duplicates', () => {
  const tally = new Tally();
  assert.equal(tally.total, 0);
  assert.deepEqual(tally.missing(new Set(['x'])), ['x']);
  assert.equal(tally.duplicates(), 0);
});
