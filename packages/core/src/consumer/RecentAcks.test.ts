import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentAcks } from './RecentAcks.js';

test('keeps the last acks, oldest first, and forgets them once taken', () => {
  const recent = new RecentAcks(3);
  for (const id of ['a', 'b', 'c', 'd']) recent.add(id);
  assert.deepEqual(recent.take(), ['b', 'c', 'd']);
  assert.deepEqual(recent.take(), []);
  recent.add('e');
  recent.add(undefined);
  recent.add('');
  assert.deepEqual(recent.take(), ['e'], 'a message without a messageId is not kept');
});
