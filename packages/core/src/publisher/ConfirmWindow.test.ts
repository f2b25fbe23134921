import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfirmWindow } from './ConfirmWindow.js';

function filled(n: number): ConfirmWindow<string> {
  const w = new ConfirmWindow<string>();
  for (let i = 1; i <= n; i++) assert.equal(w.add(`m${i}`), i);
  return w;
}

test('single confirms match by tag, in any order', () => {
  const w = filled(4);
  const seen: string[] = [];
  w.confirm(3, false, (m) => seen.push(m));
  w.confirm(1, false, (m) => seen.push(m));
  w.confirm(3, false, (m) => seen.push(m)); // duplicate: ignored
  assert.deepEqual(seen, ['m3', 'm1']);
  assert.equal(w.size, 2);
});

test('multiple settles every tag up to and including it, skipping ones already settled', () => {
  const w = filled(6);
  const seen: string[] = [];
  w.confirm(2, false, (m) => seen.push(m));
  w.confirm(4, true, (m) => seen.push(`*${m}`));
  assert.deepEqual(seen, ['m2', '*m1', '*m3', '*m4']);
  assert.deepEqual([...w.values()], ['m5', 'm6']);
});

test('takeAll returns the unconfirmed, oldest first, and restarts tags at 1', () => {
  const w = filled(3);
  w.confirm(2, false, () => undefined);
  assert.deepEqual(w.takeAll(), ['m1', 'm3']);
  assert.equal(w.size, 0);
  assert.equal(w.add('n1'), 1);
  assert.equal(w.maxSeen, 3);
});
